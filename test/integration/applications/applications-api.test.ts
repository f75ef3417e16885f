// /api/v1/applications on both stores: every operation's happy path for the four kinds, one message
// per broken field (never stored half), unknown fields and oversized lists refused, organization
// isolation (another organization's app ids answer 404), permission checks, and the protocol seeing
// each change at once (rotated secret refused, disabled app refused, re-enabled restored, deleted
// app's tokens revoked), in this process and — through Redis — in a second process on the same store.
import assert from 'node:assert/strict';
import { startGatehouse, type TestServer, type TestUser } from '../../helpers/gatehouse-server.ts';
import { describeFor, storeMatrix } from '../../helpers/stores.ts';
import { addMember, api, appAccessToken, userAccessToken } from '../../helpers/organization-fixtures.ts';
import { authorizationRequest, redeemCode } from '../../helpers/authorization.ts';
import { signIn } from '../../helpers/browserless-user.ts';

const webApp = (extra: Record<string, unknown> = {}) => ({
  kind: 'web',
  name: 'Payroll',
  redirectUris: ['https://payroll.example.com/callback'],
  postLogoutRedirectUris: ['https://payroll.example.com/bye'],
  backchannelLogoutUri: 'https://payroll.example.com/backchannel',
  backchannelLogoutSessionRequired: true,
  scopes: ['openid', 'profile', 'email'],
  ...extra,
});

for (const store of storeMatrix()) {
  describeFor(store, 'applications API', () => {
    let server: TestServer;
    let ownerA: TestUser;
    let ownerB: TestUser;
    let tokenA: string;
    let tokenB: string;
    let memberToken: string;

    before(async () => {
      server = await startGatehouse(store);
      ownerA = await server.createUser({ company: 'Apps Alpha' });
      ownerB = await server.createUser({ company: 'Apps Beta' });
      const member = await addMember(server, { organizationId: ownerA.organizationId });
      const client = await server.createClient({ first_party: true });
      [tokenA, tokenB, memberToken] = await Promise.all([userAccessToken(server, ownerA, client), userAccessToken(server, ownerB, client), userAccessToken(server, member, client)]);
    });
    after(() => server?.close());

    it('documents every operation in the OpenAPI document', async () => {
      const doc = (await api(server, undefined, 'GET', '/openapi.json')).body;
      for (const [p, methods] of [['/applications', ['get', 'post']], ['/applications/{id}', ['get', 'patch', 'delete']], ['/applications/{id}/rotate-secret', ['post']]] as const) {
        for (const m of methods) assert.ok(doc.paths[p]?.[m], `${m} ${p}`);
      }
      assert.deepEqual(doc.components.schemas.ApplicationKind.enum, ['web', 'spa', 'native', 'service']);
    });

    it('creates, reads, lists, updates, rotates and deletes a web application', async () => {
      const created = await api(server, tokenA, 'POST', '/applications', webApp());
      assert.equal(created.status, 201, created.text);
      const app = created.body.application;
      const secret: string = created.body.clientSecret;
      assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(app.kind, 'web');
      assert.equal(app.tokenEndpointAuthMethod, 'client_secret_basic');
      assert.equal(app.backchannelLogoutSessionRequired, true);
      const row = await server.gatehouse.db.knex('oidc_clients').where({ client_id: app.clientId }).first();
      assert.ok(!JSON.stringify(row.metadata).includes(secret), 'only a digest is stored');
      assert.equal(row.organization_id, ownerA.organizationId);

      const read = await api(server, tokenA, 'GET', `/applications/${app.clientId}`);
      assert.equal(read.status, 200);
      assert.equal(read.body.clientSecret, undefined);
      assert.deepEqual(read.body.redirectUris, ['https://payroll.example.com/callback']);
      const listed = await api(server, tokenA, 'GET', '/applications?limit=100');
      assert.ok(listed.body.items.some((a: { clientId: string }) => a.clientId === app.clientId));

      const patched = await api(server, tokenA, 'PATCH', `/applications/${app.clientId}`, { redirectUris: ['https://payroll.example.com/cb2'], webOrigins: ['https://payroll.example.com'] });
      assert.equal(patched.status, 200, patched.text);
      assert.deepEqual(patched.body.redirectUris, ['https://payroll.example.com/cb2']);
      assert.equal(patched.body.name, 'Payroll', 'fields not sent keep their value');
      const provider = await server.gatehouse.provider.Client.find(app.clientId);
      assert.deepEqual(provider?.redirectUris, ['https://payroll.example.com/cb2'], 'the provider sees the change at once');

      const rotated = await api(server, tokenA, 'POST', `/applications/${app.clientId}/rotate-secret`);
      assert.equal(rotated.status, 200);
      assert.notEqual(rotated.body.clientSecret, secret);
      assert.equal((await api(server, tokenA, 'DELETE', `/applications/${app.clientId}`)).status, 204);
      assert.equal((await api(server, tokenA, 'GET', `/applications/${app.clientId}`)).status, 404);
      assert.equal(await server.gatehouse.provider.Client.find(app.clientId), undefined);
    });

    it('creates single-page, native and service applications with their own rules', async () => {
      const spa = await api(server, tokenA, 'POST', '/applications', { kind: 'spa', name: 'Dashboard', redirectUris: ['https://dash.example.com/cb'], webOrigins: ['https://dash.example.com'] });
      assert.equal(spa.status, 201, spa.text);
      assert.equal(spa.body.clientSecret, null, 'a public client has no secret');
      assert.equal(spa.body.application.tokenEndpointAuthMethod, 'none');
      assert.equal((await api(server, tokenA, 'POST', `/applications/${spa.body.application.clientId}/rotate-secret`)).body.code, 'application.no_secret');

      const native = await api(server, tokenA, 'POST', '/applications', { kind: 'native', name: 'Desktop', redirectUris: ['http://127.0.0.1/callback', 'com.example.desktop:/oauth2redirect'] });
      assert.equal(native.status, 201, native.text);

      const keyless = await api(server, tokenA, 'POST', '/applications', { kind: 'web', name: 'Signed', redirectUris: ['https://signed.example.com/cb'], tokenEndpointAuthMethod: 'private_key_jwt' });
      assert.equal(keyless.status, 400);
      assert.equal(keyless.body.details[0].field, 'jwksUri');
      const signed = await api(server, tokenA, 'POST', '/applications', { kind: 'web', name: 'Signed', redirectUris: ['https://signed.example.com/cb'], tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: 'https://signed.example.com/jwks.json' });
      assert.equal(signed.status, 201, signed.text);
      assert.equal(signed.body.application.jwksUri, 'https://signed.example.com/jwks.json');
      assert.equal(signed.body.clientSecret, null, 'private_key_jwt: no shared secret');

      const service = await api(server, tokenA, 'POST', '/applications', { kind: 'service', name: 'HR sync', scopes: ['users:read'] });
      assert.equal(service.status, 201, service.text);
      const { clientId } = service.body.application;
      const token = await appAccessToken(server, clientId, service.body.clientSecret, 'users:read');
      assert.equal(token.status, 200);
      assert.equal((await api(server, token.token, 'GET', '/users')).status, 200);
      // One concept: the service is also what the old connected-apps routes list.
      const alias = await api(server, tokenA, 'GET', '/connected-apps?limit=100');
      assert.ok(alias.body.items.some((a: { clientId: string }) => a.clientId === clientId));
      assert.ok(!alias.body.items.some((a: { clientId: string }) => a.clientId === spa.body.application.clientId));
    });

    it('refuses bad input with one message per field, and stores nothing', async () => {
      const before = await server.gatehouse.db.knex('oidc_clients').count({ n: '*' }).first();
      const bad = await api(server, tokenA, 'POST', '/applications', {
        kind: 'web',
        name: ' ',
        logoUri: 'javascript:alert(1)',
        redirectUris: ['http://payroll.example.com/cb', 'https://*.example.com/cb', 'https://x.example.com/cb#frag', 'com.example.app:/cb'],
        webOrigins: ['https://x.example.com/path'],
        backchannelLogoutUri: 'http://x.example.com/bc',
        scopes: ['openid', 'users:read'],
      });
      assert.equal(bad.status, 400, bad.text);
      const byField = (field: string) => bad.body.details.filter((d: { field: string }) => d.field === field).map((d: { message: string }) => d.message).join(' | ');
      assert.match(byField('name'), /Name the application/);
      assert.match(byField('logoUri'), /https/);
      assert.match(byField('redirectUris'), /http:\/\/payroll.example.com\/cb: use https/);
      assert.match(byField('redirectUris'), /wildcards are not allowed/);
      assert.match(byField('redirectUris'), /must not contain a fragment/);
      assert.match(byField('redirectUris'), /com.example.app: URIs are for native apps/);
      assert.match(byField('webOrigins'), /is not an origin: give scheme, host and port only \(https:\/\/x.example.com\)/);
      assert.match(byField('backchannelLogoutUri'), /must use https/);
      assert.match(byField('scopes'), /API permissions are for a Service application/);
      assert.ok(bad.body.code && bad.body.message);

      const nativeBad = await api(server, tokenA, 'POST', '/applications', { kind: 'native', name: 'N', redirectUris: ['myapp:/cb'] });
      assert.match(nativeBad.body.details[0].message, /reverse domain name/);
      const unknown = await api(server, tokenA, 'POST', '/applications', { ...webApp(), clientSecret: 'mine' });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.code, 'request.invalid');
      assert.ok(unknown.body.details.some((d: { code: string }) => d.code === 'request.unrecognized_keys'));
      const many = await api(server, tokenA, 'POST', '/applications', webApp({ redirectUris: Array.from({ length: 51 }, (_, i) => `https://x.example.com/cb${i}`) }));
      assert.equal(many.status, 400);
      assert.equal(many.body.details[0].field, 'body.redirectUris');
      assert.match(many.body.details[0].message, /At most 50 redirect URIs/);
      const origins = await api(server, tokenA, 'POST', '/applications', webApp({ webOrigins: Array.from({ length: 51 }, (_, i) => `https://o${i}.example.com`) }));
      assert.equal(origins.status, 400);
      assert.match(origins.body.details[0].message, /At most 50 web origins/);
      const after = await server.gatehouse.db.knex('oidc_clients').count({ n: '*' }).first();
      assert.equal(Number(after!.n), Number(before!.n), 'nothing stored');

      const app = (await api(server, tokenA, 'POST', '/applications', webApp())).body.application;
      const half = await api(server, tokenA, 'PATCH', `/applications/${app.clientId}`, { name: 'Renamed', redirectUris: ['https://ok.example.com/cb', 'ftp://x'] });
      assert.equal(half.status, 400);
      const unchanged = await api(server, tokenA, 'GET', `/applications/${app.clientId}`);
      assert.equal(unchanged.body.name, 'Payroll', 'never stored half');
      assert.equal((await api(server, tokenA, 'PATCH', `/applications/${app.clientId}`, {})).status, 400, 'an empty change is refused');
    });

    it('isolates organizations (404) and checks permissions (403)', async () => {
      const app = (await api(server, tokenA, 'POST', '/applications', webApp({ name: 'Alpha only' }))).body.application;
      for (const [method, p, body] of [
        ['GET', `/applications/${app.clientId}`, undefined],
        ['PATCH', `/applications/${app.clientId}`, { name: 'Stolen' }],
        ['POST', `/applications/${app.clientId}/rotate-secret`, undefined],
        ['DELETE', `/applications/${app.clientId}`, undefined],
      ] as const) {
        const res = await api(server, tokenB, method, p, body);
        assert.equal(res.status, 404, `${method} ${p}`);
        assert.equal(res.body.code, 'application.not_found');
      }
      assert.ok(!(await api(server, tokenB, 'GET', '/applications?limit=100')).body.items.some((a: { clientId: string }) => a.clientId === app.clientId));
      assert.equal((await api(server, tokenA, 'GET', `/applications/${app.clientId}`)).body.name, 'Alpha only');
      const member = await api(server, memberToken, 'GET', '/applications');
      assert.equal(member.status, 403);
      assert.equal(member.body.code, 'access.denied');
      assert.equal((await api(server, memberToken, 'POST', '/applications', webApp())).status, 403);
      assert.equal((await api(server, undefined, 'GET', '/applications')).status, 401);
    });

    it('the protocol follows every change at once: rotated secret, disable, enable, delete', async () => {
      const created = (await api(server, tokenA, 'POST', '/applications', { kind: 'web', name: 'Live', redirectUris: ['http://127.0.0.1:9/callback'], scopes: ['openid', 'offline_access'] })).body;
      const rp = { client_id: created.application.clientId, client_secret: created.clientSecret as string, redirect_uris: ['http://127.0.0.1:9/callback'] };
      // A person signs in (consent: a third-party app) and gets a refresh token.
      const { url, verifier } = authorizationRequest(server.url, rp, { scope: 'openid offline_access', prompt: 'consent' });
      const user = await addMember(server, { organizationId: ownerA.organizationId });
      const { jar, step } = await signIn(url, user);
      assert.equal(step.status, 200, step.body.slice(0, 300));
      assert.match(step.body, /Allow/);
      const { postForm, formAction } = await import('../../helpers/browserless-user.ts');
      const allowed = await postForm(jar, formAction(step.body, step.url), server.url, {});
      assert.ok(allowed.location?.startsWith(rp.redirect_uris[0]), allowed.location ?? allowed.body.slice(0, 300));
      const tokens = await redeemCode(server.url, rp, allowed.location!, verifier);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      const refresh = (secret: string) => fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${rp.client_id}:${secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: currentRefresh }),
      });
      let currentRefresh: string = tokens.body.refresh_token;

      const rotated = (await api(server, tokenA, 'POST', `/applications/${rp.client_id}/rotate-secret`)).body.clientSecret;
      assert.equal((await refresh(rp.client_secret)).status, 401, 'the old secret is refused');
      const ok = await refresh(rotated);
      assert.equal(ok.status, 200);
      currentRefresh = ((await ok.json()) as { refresh_token: string }).refresh_token;

      await api(server, tokenA, 'PATCH', `/applications/${rp.client_id}`, { disabled: true });
      const refused = await refresh(rotated);
      assert.equal(refused.status, 401);
      assert.equal(((await refused.json()) as { error: string }).error, 'invalid_client');
      const page = await fetch(authorizationRequest(server.url, rp).url);
      assert.equal(page.status, 400);
      assert.match(await page.text(), /data-testid="error\/application.disabled"[^>]*>Live has been disabled by its administrator/);

      await api(server, tokenA, 'PATCH', `/applications/${rp.client_id}`, { disabled: false });
      const restored = await refresh(rotated);
      assert.equal(restored.status, 200, 're-enabling restores it');
      currentRefresh = ((await restored.json()) as { refresh_token: string }).refresh_token;

      const grants = await server.gatehouse.db.knex('client_grants').where({ client_id: rp.client_id }).select('grant_id');
      assert.equal(grants.length, 1);
      assert.equal((await api(server, tokenA, 'DELETE', `/applications/${rp.client_id}`)).status, 204);
      assert.equal(await server.gatehouse.provider.RefreshToken.find(currentRefresh), undefined, 'its refresh tokens are revoked');
      assert.equal(await server.gatehouse.provider.Grant.find(grants[0].grant_id), undefined, 'its grants are gone');
      assert.deepEqual(await server.gatehouse.db.knex('application_consents').where({ client_id: rp.client_id }).select('*'), [], 'its consents are gone');
      // The person's session no longer lists the app (its sid and grant entry are gone).
      const sessions = await server.gatehouse.db.knex('account_provider_state').where({ model: 'Session', account_id: user.id }).select('id');
      assert.ok(sessions.length > 0);
      for (const { id } of sessions) {
        const session = await server.gatehouse.provider.Session.adapter.find(id);
        if (session) assert.ok(!(rp.client_id in ((session.authorizations ?? {}) as object)), 'no session entry for the deleted app');
      }
    });

    it('the audit log records each change in the organization', async () => {
      const app = (await api(server, tokenA, 'POST', '/applications', webApp({ name: 'Audited app' }))).body.application;
      await api(server, tokenA, 'PATCH', `/applications/${app.clientId}`, { disabled: true });
      await api(server, tokenA, 'DELETE', `/applications/${app.clientId}`);
      await server.gatehouse.auditStore.flush?.();
      const events = await api(server, tokenA, 'GET', `/audit-events?target=${app.clientId}`);
      assert.deepEqual(events.body.items.map((e: { action: string }) => e.action), ['application.delete', 'application.disable', 'application.update', 'application.create']);
    });
  });
}
