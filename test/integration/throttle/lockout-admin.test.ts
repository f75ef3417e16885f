// Administrators see locked accounts and unlock them: the API operations (documented in OpenAPI) and
// the Users pages, within their own organization only; the unlock is audited and lets the right
// password in again.
import assert from 'node:assert/strict';
import { SIGN_IN_LOCKOUT_FAILURES } from '../../../accounts/security-constants.ts';
import { createPasswordHasher } from '../../../accounts/password-hasher.ts';
import { startGatehouse, type TestServer, type TestUser } from '../../helpers/gatehouse-server.ts';
import { describeFor, storeMatrix } from '../../helpers/stores.ts';
import { addMember, api, userAccessToken } from '../../helpers/organization-fixtures.ts';
import { CookieJar, postForm, request, signIn } from '../../helpers/browserless-user.ts';
import { failPasswords, passwordAttempt } from './throttle-helpers.ts';

const csrfOf = (html: string) => html.match(/name="_csrf" value="([^"]+)"/)?.[1] ?? '';

for (const store of storeMatrix()) {
  describeFor(store, 'lockout administration', () => {
    let server: TestServer;
    let ownerA: TestUser;
    let ownerB: TestUser;
    let tokenA: string;
    let tokenB: string;
    let client: Awaited<ReturnType<TestServer['createClient']>>;

    before(async () => {
      const hasher = createPasswordHasher({ parameters: { memoryCost: 1024, timeCost: 1, parallelism: 1 } });
      server = await startGatehouse(store, { TRUST_PROXY: 'true' }, { hasher });
      ownerA = await server.createUser({ company: 'Alpha Locks' });
      ownerB = await server.createUser({ company: 'Beta Locks' });
      client = await server.createClient({ first_party: true });
      [tokenA, tokenB] = await Promise.all([userAccessToken(server, ownerA, client), userAccessToken(server, ownerB, client)]);
    });
    after(() => server?.close());

    it('GET /users/{id}/lockout shows a lockout, DELETE lifts it (audited), and the right password works again', async () => {
      const member = await addMember(server, { organizationId: ownerA.organizationId });
      const clear = await api(server, tokenA, 'GET', `/users/${member.id}/lockout`);
      assert.equal(clear.status, 200);
      assert.deepEqual(clear.body, { locked: false, failures: 0, lockedUntil: null, waitSeconds: 0 });

      await failPasswords(server, client, member.username, SIGN_IN_LOCKOUT_FAILURES, '10.20');
      const locked = await api(server, tokenA, 'GET', `/users/${member.id}/lockout`);
      assert.equal(locked.body.locked, true);
      assert.equal(locked.body.failures, SIGN_IN_LOCKOUT_FAILURES);
      assert.ok(Date.parse(locked.body.lockedUntil) > Date.now() + 50 * 60_000, 'locked for about an hour');
      assert.equal((await passwordAttempt(server, client, member.username, member.password, '192.0.2.1')).answer.status, 429);

      const unlocked = await api(server, tokenA, 'DELETE', `/users/${member.id}/lockout`);
      assert.equal(unlocked.status, 204);
      assert.equal((await api(server, tokenA, 'GET', `/users/${member.id}/lockout`)).body.locked, false);
      assert.equal((await passwordAttempt(server, client, member.username, member.password, '192.0.2.1')).answer.status, 303, 'signs in again');
      const events = await server.gatehouse.auditStore.query({ organizationId: ownerA.organizationId, target: member.id, action: 'account.', limit: 10 });
      assert.deepEqual(events.map((e) => e.action).sort(), ['account.locked', 'account.unlocked']);
      assert.equal(events.find((e) => e.action === 'account.unlocked')?.actor, ownerA.id);
    });

    it('answers 404 for another organization’s user, and lets it stay locked', async () => {
      const memberB = await addMember(server, { organizationId: ownerB.organizationId });
      await failPasswords(server, client, memberB.username, SIGN_IN_LOCKOUT_FAILURES, '10.21');
      for (const method of ['GET', 'DELETE']) {
        const res = await api(server, tokenA, method, `/users/${memberB.id}/lockout`);
        assert.equal(res.status, 404, method);
        assert.equal(res.body.code, 'user.not_found');
      }
      assert.equal((await api(server, tokenB, 'GET', `/users/${memberB.id}/lockout`)).body.locked, true, 'still locked');
    });

    it('documents both operations in the OpenAPI document', async () => {
      const doc = await api(server, undefined, 'GET', '/openapi.json');
      const path = doc.body.paths['/users/{id}/lockout'];
      assert.equal(path.get.operationId, 'getUserLockout');
      assert.equal(path.delete.operationId, 'unlockUser');
      assert.ok(doc.body.components.schemas.Lockout.properties.lockedUntil);
    });

    it('shows “locked” on the Users page and unlocks from the user’s page', async () => {
      const member = await addMember(server, { organizationId: ownerA.organizationId });
      await failPasswords(server, client, member.username, SIGN_IN_LOCKOUT_FAILURES, '10.22');
      // Another administrator of A: the owner's TOTP code of this 30-second step was spent on its token.
      const admin = await addMember(server, { organizationId: ownerA.organizationId, role: 'admin' });
      const { jar } = await signIn(`${server.url}/admin/users`, admin, new CookieJar());
      const list = await request(jar, `${server.url}/admin/users?q=${member.username}`);
      assert.match(list.body, new RegExp(`data-testid="user/${member.username}/locked"`));
      const page = await request(jar, `${server.url}/admin/users/${member.id}`);
      assert.match(page.body, /data-testid="user\/lockout"><span class="badge badge-warn">locked<\/span> after 20 failed attempts in a row/);
      const done = await postForm(jar, `${server.url}/admin/users/${member.id}`, server.url, { _csrf: csrfOf(page.body), action: 'unlock' });
      assert.match(done.body, /data-testid="message\/user.unlocked"/);
      assert.match(done.body, /data-testid="user\/lockout">not locked</);
      assert.equal((await server.gatehouse.throttle.signIn.lockout(member.username)).locked, false);
    });
  });
}
