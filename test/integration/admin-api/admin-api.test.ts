// The admin API (/api/v1) on both stores: every resource's happy path, strict organization
// isolation (an administrator of A never reads or changes anything of B), permission checks,
// validation errors with stable codes, and pagination. Tokens are Gatehouse's own: a person's token
// from a first-party client, and connected apps' client-credentials tokens.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startGatehouse, type TestServer, type TestUser } from '../../helpers/gatehouse-server.ts';
import { describeFor, storeMatrix } from '../../helpers/stores.ts';
import { addMember, api, appAccessToken, userAccessToken } from '../../helpers/organization-fixtures.ts';

for (const store of storeMatrix()) {
  describeFor(store, 'admin API', () => {
    let server: TestServer;
    let ownerA: TestUser;
    let ownerB: TestUser;
    let memberA: TestUser;
    let tokenA: string;
    let tokenB: string;
    let memberToken: string;
    let adminA: TestUser;
    let adminToken: string;

    before(async () => {
      server = await startGatehouse(store);
      ownerA = await server.createUser({ company: 'Alpha Corp' });
      ownerB = await server.createUser({ company: 'Beta Corp' });
      memberA = await addMember(server, { organizationId: ownerA.organizationId });
      adminA = await addMember(server, { organizationId: ownerA.organizationId, role: 'admin' });
      const client = await server.createClient({ first_party: true });
      [tokenA, tokenB, memberToken, adminToken] = await Promise.all([
        userAccessToken(server, ownerA, client),
        userAccessToken(server, ownerB, client),
        userAccessToken(server, memberA, client),
        userAccessToken(server, adminA, client),
      ]);
    });
    after(() => server?.close());

    describe('OpenAPI document and authentication', () => {
      it('serves an OpenAPI 3.1 document generated from the route schemas', async () => {
        const res = await api(server, undefined, 'GET', '/openapi.json');
        assert.equal(res.status, 200);
        assert.equal(res.body.openapi, '3.1.0');
        for (const p of ['/organization', '/business-groups/{id}/move', '/users/{id}', '/invitations/{id}/resend', '/connected-apps/{id}/rotate-secret', '/audit-events/export']) {
          assert.ok(res.body.paths[p], `documents ${p}`);
        }
        assert.ok(res.body.components.schemas.User.properties.permissions, 'the User schema comes from zod');
        assert.deepEqual(res.body.components.schemas.Error.required.sort(), ['code', 'message']);
        assert.equal(res.body.components.securitySchemes.bearer.scheme, 'bearer');
      });

      it('refuses requests without a token, with a bad token, or with a third-party client’s token', async () => {
        const none = await api(server, undefined, 'GET', '/users');
        assert.equal(none.status, 401);
        assert.equal(none.body.code, 'auth.missing_token');
        assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
        const bad = await api(server, 'not-a-real-token-value', 'GET', '/users');
        assert.equal(bad.status, 401);
        assert.equal(bad.body.code, 'auth.invalid_token');

        const thirdParty = await server.createClient({ first_party: false });
        const someone = await server.createUser({ company: 'Gamma' });
        // A third-party client's token would need consent first; grant it directly through the provider.
        const grant = new server.gatehouse.provider.Grant({ accountId: someone.id, clientId: thirdParty.client_id });
        grant.addOIDCScope('openid');
        const grantId = await grant.save();
        const client = (await server.gatehouse.provider.Client.find(thirdParty.client_id))!;
        const token = new server.gatehouse.provider.AccessToken({ accountId: someone.id, client, grantId, scope: 'openid', gty: 'authorization_code' });
        const value = await token.save();
        const res = await api(server, value, 'GET', '/users');
        assert.equal(res.status, 403);
        assert.equal(res.body.code, 'auth.client_not_allowed');
      });

      it('answers unknown fields and bad values with request.invalid and per-field details', async () => {
        const res = await api(server, tokenA, 'POST', '/business-groups', { name: 'x', colour: 'red' });
        assert.equal(res.status, 400);
        assert.equal(res.body.code, 'request.invalid');
        assert.ok(res.body.details.some((d: { field: string }) => d.field === 'body'), JSON.stringify(res.body));
        const limit = await api(server, tokenA, 'GET', '/users?limit=1000');
        assert.equal(limit.status, 400);
        assert.equal(limit.body.details[0].field, 'query.limit');
      });
    });

    describe('organizations and business groups', () => {
      it('reads and renames the organization; a rule violation has its own code', async () => {
        const org = await api(server, tokenA, 'GET', '/organization');
        assert.equal(org.status, 200);
        assert.equal(org.body.id, ownerA.organizationId);
        assert.equal(org.body.name, 'Alpha Corp');
        const renamed = await api(server, tokenA, 'PATCH', '/organization', { name: 'Alpha Corporation' });
        assert.equal(renamed.status, 200);
        assert.equal(renamed.body.name, 'Alpha Corporation');
        const tooShort = await api(server, tokenA, 'PATCH', '/organization', { name: 'A' });
        assert.equal(tooShort.status, 400);
        assert.equal(tooShort.body.code, 'company.too_short');
        assert.equal(tooShort.body.details[0].field, 'name');
        const b = await api(server, tokenB, 'GET', '/organization');
        assert.equal(b.body.id, ownerB.organizationId, 'each token sees its own organization only');
      });

      it('creates, reads, renames, moves and deletes business groups', async () => {
        const sales = await api(server, tokenA, 'POST', '/business-groups', { name: 'Sales' });
        assert.equal(sales.status, 201);
        assert.equal(sales.body.parentId, ownerA.organizationId);
        const emea = await api(server, tokenA, 'POST', '/business-groups', { name: 'EMEA', parentId: sales.body.id });
        assert.equal(emea.body.parentId, sales.body.id);
        const ops = await api(server, tokenA, 'POST', '/business-groups', { name: 'Ops' });

        assert.equal((await api(server, tokenA, 'GET', `/business-groups/${emea.body.id}`)).body.name, 'EMEA');
        assert.equal((await api(server, tokenA, 'PATCH', `/business-groups/${emea.body.id}`, { name: 'Europe' })).body.name, 'Europe');
        const moved = await api(server, tokenA, 'POST', `/business-groups/${emea.body.id}/move`, { parentId: ops.body.id });
        assert.equal(moved.status, 200);
        assert.equal(moved.body.parentId, ops.body.id);
        const cycle = await api(server, tokenA, 'POST', `/business-groups/${ops.body.id}/move`, { parentId: emea.body.id });
        assert.equal(cycle.status, 409);
        assert.equal(cycle.body.code, 'group.move_cycle');

        const list = await api(server, tokenA, 'GET', '/business-groups');
        assert.deepEqual(list.body.items.map((g: { name: string }) => g.name).sort(), ['Europe', 'Ops', 'Sales']);

        await addMember(server, { organizationId: ownerA.organizationId, groupId: emea.body.id });
        const notEmpty = await api(server, tokenA, 'DELETE', `/business-groups/${ops.body.id}`);
        assert.equal(notEmpty.status, 409);
        assert.equal(notEmpty.body.code, 'group.not_empty');
        assert.equal((await api(server, tokenA, 'DELETE', `/business-groups/${sales.body.id}`)).status, 204);
        assert.equal((await api(server, tokenA, 'GET', `/business-groups/${sales.body.id}`)).status, 404);
      });

      it('isolation: organization B cannot read, change, move into or delete A’s groups', async () => {
        const groupA = (await api(server, tokenA, 'POST', '/business-groups', { name: 'Secret Lab' })).body;
        const groupB = (await api(server, tokenB, 'POST', '/business-groups', { name: 'B Team' })).body;
        for (const [method, p, body] of [
          ['GET', `/business-groups/${groupA.id}`, undefined],
          ['PATCH', `/business-groups/${groupA.id}`, { name: 'Pwned' }],
          ['POST', `/business-groups/${groupA.id}/move`, { parentId: groupB.id }],
          ['POST', `/business-groups/${groupB.id}/move`, { parentId: groupA.id }],
          ['POST', '/business-groups', { name: 'Inside A', parentId: groupA.id }],
          ['DELETE', `/business-groups/${groupA.id}`, undefined],
        ] as const) {
          const res = await api(server, tokenB, method, p, body);
          assert.equal(res.status, 404, `${method} ${p} → ${res.status} ${res.text}`);
          assert.equal(res.body.code, 'business_group.not_found');
        }
        const listB = await api(server, tokenB, 'GET', '/business-groups');
        assert.ok(!listB.body.items.some((g: { id: string }) => g.id === groupA.id));
        assert.equal((await api(server, tokenA, 'GET', `/business-groups/${groupA.id}`)).body.name, 'Secret Lab', 'unchanged');
      });

      it('a member placed in a business group belongs to the root organization (the org claim)', async () => {
        const group = (await api(server, tokenA, 'POST', '/business-groups', { name: 'Claims Team' })).body;
        const placed = await addMember(server, { organizationId: ownerA.organizationId, groupId: group.id });
        const account = await server.gatehouse.accounts.findById(placed.id);
        assert.equal(account?.organization?.id, ownerA.organizationId);
        assert.equal(account?.organization?.parentId, null);
      });

      it('permissions: a member can read the organization but not manage groups', async () => {
        assert.equal((await api(server, memberToken, 'GET', '/organization')).status, 200);
        const res = await api(server, memberToken, 'POST', '/business-groups', { name: 'Nope' });
        assert.equal(res.status, 403);
        assert.equal(res.body.code, 'access.denied');
        const denied = await server.gatehouse.db.knex('audit_events').where({ actor: memberA.id, outcome: 'denied' }).first();
        assert.ok(denied, 'the denied attempt is audited');
        assert.equal(denied.organization_id, ownerA.organizationId);
      });
    });

    describe('users', () => {
      it('lists, searches, pages through, reads and updates users; marks a service account', async () => {
        const bob = await addMember(server, { organizationId: ownerA.organizationId, username: `bobby_${Date.now()}` });
        const search = await api(server, tokenA, 'GET', `/users?search=${encodeURIComponent(bob.username.slice(0, 8))}`);
        assert.equal(search.status, 200);
        assert.deepEqual(search.body.items.map((u: { id: string }) => u.id), [bob.id]);

        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const res = await api(server, tokenA, 'GET', `/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
          assert.equal(res.status, 200);
          assert.ok(res.body.items.length <= 2);
          seen.push(...res.body.items.map((u: { id: string }) => u.id));
          cursor = res.body.nextCursor;
          pages += 1;
        } while (cursor && pages < 50);
        assert.equal(new Set(seen).size, seen.length, 'no user twice');
        for (const id of [ownerA.id, memberA.id, adminA.id, bob.id]) assert.ok(seen.includes(id), 'every user once');
        assert.ok(!seen.includes(ownerB.id), 'no user of B');
        assert.ok(pages >= 3);

        const one = await api(server, tokenA, 'GET', `/users/${bob.id}`);
        assert.equal(one.body.username, bob.username);
        assert.deepEqual(one.body.roles, ['member']);
        assert.deepEqual(one.body.permissions, ['organization:read']);

        const updated = await api(server, tokenA, 'PATCH', `/users/${bob.id}`, { email: 'Bob.New@Example.com', name: 'Bob New' });
        assert.equal(updated.status, 200);
        assert.equal(updated.body.email, 'bob.new@example.com');
        assert.equal(updated.body.emailVerified, false, 'an address set by an administrator is not verified');
        assert.equal(updated.body.name, 'Bob New');
        const invalid = await api(server, tokenA, 'PATCH', `/users/${bob.id}`, { email: 'not-an-email' });
        assert.equal(invalid.status, 400);
        assert.equal(invalid.body.code, 'email.invalid');

        const service = await api(server, tokenA, 'PATCH', `/users/${bob.id}`, { serviceAccount: true });
        assert.equal(service.body.serviceAccount, true);
        const events = await server.gatehouse.db.knex('audit_events').where({ target: bob.id }).pluck('action');
        assert.ok(events.includes('user.email_change') && events.includes('user.service_account_set'), events.join());
      });

      it('removes a user from the organization: the account stays, unattached; the owner cannot be removed', async () => {
        const leaver = await addMember(server, { organizationId: ownerA.organizationId });
        assert.equal((await api(server, tokenA, 'DELETE', `/users/${leaver.id}`)).status, 204);
        assert.equal((await api(server, tokenA, 'GET', `/users/${leaver.id}`)).status, 404);
        const account = await server.gatehouse.organizations.orgs.findAccount(leaver.id);
        assert.ok(account, 'the account still exists');
        assert.deepEqual(await server.gatehouse.organizations.orgs.membershipsOf(leaver.id), [], 'unattached');

        const owner = await api(server, adminToken, 'DELETE', `/users/${ownerA.id}`);
        assert.equal(owner.status, 403, 'an administrator cannot act on the owner');
        const self = await api(server, tokenA, 'DELETE', `/users/${ownerA.id}`);
        assert.equal(self.status, 409);
        assert.equal(self.body.code, 'user.remove_self');
      });

      it('an administrator cannot change the owner’s or another administrator’s email (no takeover by reset link)', async () => {
        const res = await api(server, adminToken, 'PATCH', `/users/${ownerA.id}`, { email: 'attacker@example.com' });
        assert.equal(res.status, 403);
        assert.equal(res.body.code, 'access.denied');
        const member = await api(server, adminToken, 'PATCH', `/users/${memberA.id}`, { name: 'Renamed by admin' });
        assert.equal(member.status, 200, 'members are fine');
      });

      it('resets MFA (the MFA feature’s action) and sends a password reset link (the self-service feature’s)', async () => {
        const target = await addMember(server, { organizationId: ownerA.organizationId });
        assert.equal((await server.gatehouse.mfa.listMethods(target.id)).length, 1);
        const reset = await api(server, tokenA, 'POST', `/users/${target.id}/mfa-reset`);
        assert.equal(reset.status, 204, reset.text);
        assert.equal((await server.gatehouse.mfa.listMethods(target.id)).length, 0);
        const link = await api(server, tokenA, 'POST', `/users/${target.id}/password-reset`);
        assert.equal(link.status, 202, link.text);
        const sent = await server.gatehouse.db.knex('audit_events').where({ target: target.id, action: 'user.password_reset_link' }).first();
        assert.ok(sent, 'audited');
      });

      it('isolation: organization B cannot list, read, change or remove A’s users', async () => {
        const listB = await api(server, tokenB, 'GET', '/users?limit=100');
        assert.deepEqual(listB.body.items.map((u: { id: string }) => u.id), [ownerB.id]);
        for (const [method, p, body] of [
          ['GET', `/users/${memberA.id}`, undefined],
          ['PATCH', `/users/${memberA.id}`, { name: 'Pwned' }],
          ['PATCH', `/users/${memberA.id}`, { serviceAccount: true }],
          ['DELETE', `/users/${memberA.id}`, undefined],
          ['POST', `/users/${memberA.id}/password-reset`, undefined],
          ['POST', `/users/${memberA.id}/mfa-reset`, undefined],
        ] as const) {
          const res = await api(server, tokenB, method, p, body);
          assert.equal(res.status, 404, `${method} ${p} → ${res.status}`);
          assert.equal(res.body.code, 'user.not_found');
        }
        assert.deepEqual((await server.gatehouse.organizations.orgs.membershipsOf(memberA.id)).map((m) => m.rootId), [ownerA.organizationId]);
      });

      it('permissions: a member cannot list users', async () => {
        const res = await api(server, memberToken, 'GET', '/users');
        assert.equal(res.status, 403);
        assert.equal(res.body.code, 'access.denied');
      });
    });

    describe('invitations', () => {
      it('invites (emailed), lists pending ones page by page, reads, resends with a new link and revokes', async () => {
        const emails = ['inv1@example.com', 'inv2@example.com', 'inv3@example.com'];
        for (const email of emails) {
          const res = await api(server, tokenA, 'POST', '/invitations', { email, role: 'member' });
          assert.equal(res.status, 201, res.text);
          assert.equal(res.body.status, 'pending');
          assert.equal(Date.parse(res.body.expiresAt) - Date.parse(res.body.sentAt), 7 * 24 * 3600 * 1000, 'valid for a week');
        }
        const outbox = await fs.readdir(path.join(server.dataDir, 'outbox'));
        assert.ok(outbox.length >= 3, 'mailed');

        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const res = await api(server, tokenA, 'GET', `/invitations?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
          seen.push(...res.body.items.map((i: { email: string }) => i.email));
          cursor = res.body.nextCursor;
        } while (cursor);
        for (const email of emails) assert.equal(seen.filter((e) => e === email).length, 1);

        const dup = await api(server, tokenA, 'POST', '/invitations', { email: 'inv1@example.com' });
        assert.equal(dup.status, 409);
        assert.equal(dup.body.code, 'invitation.already_pending');
        const bad = await api(server, tokenA, 'POST', '/invitations', { email: 'nope' });
        assert.equal(bad.status, 400);
        assert.equal(bad.body.code, 'email.invalid');
        const badRole = await api(server, tokenA, 'POST', '/invitations', { email: 'x@example.com', role: 'owner' });
        assert.equal(badRole.status, 400);
        assert.equal(badRole.body.code, 'request.invalid');

        const first = (await api(server, tokenA, 'GET', '/invitations?limit=100')).body.items.find((i: { email: string }) => i.email === 'inv1@example.com');
        assert.equal((await api(server, tokenA, 'GET', `/invitations/${first.id}`)).body.email, 'inv1@example.com');
        const hashBefore = (await server.gatehouse.db.knex('invitations').where({ id: first.id }).first()).token_hash;
        const resent = await api(server, tokenA, 'POST', `/invitations/${first.id}/resend`);
        assert.equal(resent.status, 200);
        const hashAfter = (await server.gatehouse.db.knex('invitations').where({ id: first.id }).first()).token_hash;
        assert.notEqual(hashAfter, hashBefore, 'a new link; the old one stops working');

        assert.equal((await api(server, tokenA, 'DELETE', `/invitations/${first.id}`)).status, 204);
        assert.equal((await api(server, tokenA, 'GET', `/invitations/${first.id}`)).body.status, 'revoked');
        const pending = await api(server, tokenA, 'GET', '/invitations?limit=100');
        assert.ok(!pending.body.items.some((i: { id: string }) => i.id === first.id), 'revoked ones leave the pending list');
        const all = await api(server, tokenA, 'GET', '/invitations?limit=100&status=all');
        assert.ok(all.body.items.some((i: { id: string }) => i.id === first.id));
      });

      it('isolation and permissions: B cannot see or touch A’s invitations; members cannot invite', async () => {
        const created = await api(server, tokenA, 'POST', '/invitations', { email: 'isolated@example.com' });
        for (const [method, p] of [['GET', `/invitations/${created.body.id}`], ['POST', `/invitations/${created.body.id}/resend`], ['DELETE', `/invitations/${created.body.id}`]] as const) {
          const res = await api(server, tokenB, method, p);
          assert.equal(res.status, 404, `${method} ${p}`);
          assert.equal(res.body.code, 'invitation.not_found');
        }
        assert.ok(!(await api(server, tokenB, 'GET', '/invitations?status=all&limit=100')).body.items.some((i: { id: string }) => i.id === created.body.id));
        const groupA = (await api(server, tokenA, 'POST', '/business-groups', { name: 'Invite Target' })).body;
        const intoA = await api(server, tokenB, 'POST', '/invitations', { email: 'sneaky@example.com', businessGroupId: groupA.id });
        assert.equal(intoA.status, 404, 'B cannot invite into A’s group');
        const member = await api(server, memberToken, 'POST', '/invitations', { email: 'friend@example.com' });
        assert.equal(member.status, 403);
      });
    });

    describe('connected apps', () => {
      it('creates a client-credentials app (secret shown once, stored hashed), rotates its secret, deletes it', async () => {
        const created = await api(server, tokenA, 'POST', '/connected-apps', { name: 'HR sync', scopes: ['users:read', 'audit:read'] });
        assert.equal(created.status, 201, created.text);
        const { clientId } = created.body.app;
        const secret: string = created.body.clientSecret;
        assert.ok(secret.length >= 40);
        const stored = await server.gatehouse.db.knex('oidc_clients').where({ client_id: clientId }).first();
        assert.ok(!JSON.stringify(stored.metadata).includes(secret), 'the plain secret is not stored');
        assert.equal(stored.organization_id, ownerA.organizationId);
        const read = await api(server, tokenA, 'GET', `/connected-apps/${clientId}`);
        assert.equal(read.body.clientSecret, undefined, 'never shown again');
        assert.deepEqual(read.body.scopes, ['users:read', 'audit:read']);

        const token = await appAccessToken(server, clientId, secret, 'users:read audit:read');
        assert.equal(token.status, 200, JSON.stringify(token.body));
        const users = await api(server, token.token, 'GET', '/users?limit=100');
        assert.equal(users.status, 200);
        assert.ok(users.body.items.every((u: { memberships: { organizationId: string }[] }) => u.memberships.length > 0));
        assert.ok(!users.body.items.some((u: { id: string }) => u.id === ownerB.id), 'the app sees its own organization only');
        assert.equal((await api(server, token.token, 'GET', '/audit-events?limit=5')).status, 200);
        const cannot = await api(server, token.token, 'POST', '/invitations', { email: 'app@example.com' });
        assert.equal(cannot.status, 403, 'only the granted scopes');
        const unregistered = await appAccessToken(server, clientId, secret, 'users:manage');
        assert.equal(unregistered.status, 400, 'a scope the app was not granted cannot be requested');

        const rotated = await api(server, tokenA, 'POST', `/connected-apps/${clientId}/rotate-secret`);
        assert.equal(rotated.status, 200);
        assert.notEqual(rotated.body.clientSecret, secret);
        assert.equal((await appAccessToken(server, clientId, secret)).status, 401, 'the old secret no longer works');
        assert.equal((await appAccessToken(server, clientId, rotated.body.clientSecret)).status, 200);

        assert.equal((await api(server, tokenA, 'DELETE', `/connected-apps/${clientId}`)).status, 204);
        const after = await api(server, token.token, 'GET', '/users');
        assert.ok([401, 403].includes(after.status), 'a deleted app’s tokens stop working here at once');
      });

      it('validation, paging, permissions and isolation', async () => {
        const bad = await api(server, tokenA, 'POST', '/connected-apps', { name: 'X', scopes: ['root:everything'] });
        assert.equal(bad.status, 400);
        assert.equal(bad.body.code, 'application.scope_invalid');
        const owners = await api(server, tokenA, 'POST', '/connected-apps', { name: 'X', scopes: ['organization:transfer'] });
        assert.equal(owners.status, 400, 'ownership is never an app scope');
        for (let i = 0; i < 3; i++) await api(server, tokenA, 'POST', '/connected-apps', { name: `App ${i}`, scopes: ['users:read'] });
        const ids: string[] = [];
        let cursor: string | null = null;
        do {
          const res = await api(server, tokenA, 'GET', `/connected-apps?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
          ids.push(...res.body.items.map((a: { clientId: string }) => a.clientId));
          cursor = res.body.nextCursor;
        } while (cursor);
        assert.ok(ids.length >= 3);
        assert.equal(new Set(ids).size, ids.length);

        const appA = ids[0];
        for (const [method, p] of [['GET', `/connected-apps/${appA}`], ['POST', `/connected-apps/${appA}/rotate-secret`], ['DELETE', `/connected-apps/${appA}`]] as const) {
          const res = await api(server, tokenB, method, p);
          assert.equal(res.status, 404, `${method} ${p}`);
          assert.equal(res.body.code, 'application.not_found');
        }
        assert.deepEqual((await api(server, tokenB, 'GET', '/connected-apps')).body.items, []);
        assert.equal((await api(server, memberToken, 'GET', '/connected-apps')).status, 403);

        // An app of B, even with every scope, reaches B only.
        const appB = await api(server, tokenB, 'POST', '/connected-apps', { name: 'B app', scopes: ['users:read', 'users:manage'] });
        const tokenAppB = (await appAccessToken(server, appB.body.app.clientId, appB.body.clientSecret)).token;
        assert.equal((await api(server, tokenAppB, 'GET', `/users/${memberA.id}`)).status, 404);
        assert.equal((await api(server, tokenAppB, 'DELETE', `/users/${memberA.id}`)).status, 404);
      });
    });

    describe('audit log', () => {
      it('filters by action, actor, target, outcome and time; pages; exports JSON Lines', async () => {
        const group = (await api(server, tokenA, 'POST', '/business-groups', { name: 'Audited' })).body;
        await api(server, tokenA, 'PATCH', `/business-groups/${group.id}`, { name: 'Audited 2' });
        await server.gatehouse.auditStore.flush(); // linked into the chain, as ~1 s after writing
        const byTarget = await api(server, tokenA, 'GET', `/audit-events?target=${group.id}`);
        assert.deepEqual(byTarget.body.items.map((e: { action: string }) => e.action), ['group.rename', 'group.create']);
        const e = byTarget.body.items[0];
        assert.equal(e.actor, ownerA.id);
        assert.equal(e.organizationId, ownerA.organizationId);
        assert.equal(e.outcome, 'success');
        assert.ok(e.ip && e.userAgent && e.occurredAt && e.hash);

        const prefix = await api(server, tokenA, 'GET', '/audit-events?action=group.&limit=100');
        assert.ok(prefix.body.items.length >= 2 && prefix.body.items.every((x: { action: string }) => x.action.startsWith('group.')));
        const byActor = await api(server, tokenA, 'GET', `/audit-events?actor=${memberA.id}&outcome=denied`);
        assert.ok(byActor.body.items.length >= 1 && byActor.body.items.every((x: { outcome: string }) => x.outcome === 'denied'));
        const signIns = await api(server, tokenA, 'GET', '/audit-events?action=session.sign_in&limit=100');
        assert.ok(signIns.body.items.some((x: { target: string }) => x.target === ownerA.id), 'sign-ins are attributed to the account’s organization');
        const future = await api(server, tokenA, 'GET', `/audit-events?from=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`);
        assert.deepEqual(future.body.items, []);
        const past = await api(server, tokenA, 'GET', `/audit-events?to=${encodeURIComponent(new Date(Date.now() - 3600_000).toISOString())}`);
        assert.deepEqual(past.body.items, []);
        const badTime = await api(server, tokenA, 'GET', '/audit-events?from=yesterday');
        assert.equal(badTime.status, 400);
        assert.equal(badTime.body.details[0].field, 'query.from');

        const ids: string[] = [];
        let cursor: string | null = null;
        do {
          const res = await api(server, tokenA, 'GET', `/audit-events?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
          ids.push(...res.body.items.map((x: { id: string }) => x.id));
          cursor = res.body.nextCursor;
        } while (cursor);
        assert.equal(new Set(ids).size, ids.length, 'no event twice');
        assert.deepEqual([...ids].sort((a, b) => Number(b) - Number(a)), ids, 'newest first');

        const exported = await api(server, tokenA, 'GET', '/audit-events/export?action=group.');
        assert.equal(exported.status, 200);
        assert.match(exported.headers.get('content-type') ?? '', /^application\/jsonl/);
        const lines = exported.text.trim().split('\n').map((l) => JSON.parse(l));
        assert.deepEqual(lines.map((l) => l.id), prefix.body.items.map((x: { id: string }) => x.id));
      });

      it('isolation and permissions: B never sees A’s events; members cannot read the log', async () => {
        const listB = await api(server, tokenB, 'GET', '/audit-events?limit=100');
        assert.ok(listB.body.items.length > 0);
        assert.ok(listB.body.items.every((e: { organizationId: string }) => e.organizationId === ownerB.organizationId));
        const asksForA = await api(server, tokenB, 'GET', `/audit-events?actor=${ownerA.id}`);
        assert.deepEqual(asksForA.body.items, []);
        const exportB = await api(server, tokenB, 'GET', '/audit-events/export');
        assert.ok(!exportB.text.includes(ownerA.organizationId));
        assert.equal((await api(server, memberToken, 'GET', '/audit-events')).status, 403);
        assert.equal((await api(server, memberToken, 'GET', '/audit-events/export')).status, 403);
      });
    });

    describe('ownership', () => {
      it('the owner transfers ownership to a member and stays an administrator; only the owner can', async () => {
        const owner = await server.createUser({ company: 'Transfer Co' });
        const heir = await addMember(server, { organizationId: owner.organizationId });
        const client = await server.createClient({ first_party: true });
        const [ownerToken, heirToken] = await Promise.all([userAccessToken(server, owner, client), userAccessToken(server, heir, client)]);
        const notOwner = await api(server, heirToken, 'POST', '/organization/transfer-ownership', { accountId: heir.id });
        assert.equal(notOwner.status, 403);
        const outsider = await api(server, ownerToken, 'POST', '/organization/transfer-ownership', { accountId: ownerB.id });
        assert.equal(outsider.status, 404, 'only to a member of the organization');
        const hasMembers = await api(server, ownerToken, 'DELETE', '/organization');
        assert.equal(hasMembers.status, 409);
        assert.equal(hasMembers.body.code, 'organization.has_members');
        assert.equal((await api(server, ownerToken, 'POST', '/organization/transfer-ownership', { accountId: heir.id })).status, 204);
        const heirView = await api(server, ownerToken, 'GET', `/users/${heir.id}`);
        assert.deepEqual(heirView.body.roles.sort(), ['admin', 'member', 'owner']);
        const formerOwner = await api(server, ownerToken, 'GET', `/users/${owner.id}`);
        assert.deepEqual(formerOwner.body.roles, ['admin']);
      });
    });
  });
}
