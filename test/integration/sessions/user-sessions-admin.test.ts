// Administrators and a user's sessions: the API (/api/v1/users/{id}/sessions: list, end one, end all)
// with organization isolation (another organization's user is 404) and permissions; Access Management
// → Users → a user (the same list, "Sign out", "Sign out everywhere"); all audited and emailed. And the
// Audit Log names people and things, filters by username, pages through, and has failed sign-ins;
// "Recent sign-ins" shows the device and place and the failed attempts.
import assert from 'node:assert/strict';
import { message } from '../../../accounts/messages/catalog.ts';
import { startGatehouse, type TestServer, type TestUser } from '../../helpers/gatehouse-server.ts';
import { describeFor, storeMatrix } from '../../helpers/stores.ts';
import { CookieJar, follow, formAction, postForm, signInWithPassword } from '../../helpers/browserless-user.ts';
import { addMember, api, appAccessToken, userAccessToken } from '../../helpers/organization-fixtures.ts';
import { authorizationRequest } from '../../helpers/authorization.ts';
import { createTestClock, openSignedIn } from '../../helpers/self-service.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';

const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0';
const CHROME_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const adminCsrf = (html: string) => html.match(/name="_csrf" value="([^"]+)"/)![1];

for (const store of storeMatrix()) {
  describeFor(store, 'sessions: administrators and the audit log', () => {
    const clock = createTestClock();
    let sink: SmtpSink;
    let server: TestServer;
    let ownerA: TestUser;
    let ownerB: TestUser;
    let memberToken: string;
    let adminA: TestUser;
    let adminToken: string;
    let tokenA: string;
    let tokenB: string;

    before(async () => {
      sink = await startSmtpSink();
      server = await startGatehouse(store, { SMTP_URL: sink.url }, { clock: clock.now });
      ownerA = await server.createUser({ company: 'Alpha Corp' });
      ownerB = await server.createUser({ company: 'Beta Corp' });
      adminA = await addMember(server, { organizationId: ownerA.organizationId, role: 'admin' });
      const memberA = await addMember(server, { organizationId: ownerA.organizationId });
      const client = await server.createClient({ first_party: true });
      // Tokens first, while the server's clock is the real one (userAccessToken's codes use real time).
      [tokenA, tokenB, memberToken, adminToken] = await Promise.all([
        userAccessToken(server, ownerA, client),
        userAccessToken(server, ownerB, client),
        userAccessToken(server, memberA, client),
        userAccessToken(server, adminA, client),
      ]);
    });
    after(async () => {
      await server?.close();
      await sink?.close();
    });

    /** A member of organization A signed in on two devices. */
    async function memberOnTwoDevices() {
      const user = await addMember(server, { organizationId: ownerA.organizationId });
      const laptop = await openSignedIn(server, user, { jar: new CookieJar(CHROME_MAC), clock });
      const desktop = await openSignedIn(server, user, { jar: new CookieJar(FIREFOX_WINDOWS), clock });
      assert.equal(laptop.step.status, 200);
      assert.equal(desktop.step.status, 200);
      return { user, laptop: laptop.jar, desktop: desktop.jar };
    }
    const mustSignIn = async (jar: CookieJar) => assert.match((await follow(jar, `${server.url}/account`, server.url)).url, /\/interaction\//);
    const stillIn = async (jar: CookieJar) => assert.equal((await follow(jar, `${server.url}/account`, server.url)).status, 200);

    it('API: lists a user’s sessions, ends one and then all; audited as the administrator, the user emailed', async () => {
      const { user, laptop, desktop } = await memberOnTwoDevices();
      const list = await api(server, tokenA, 'GET', `/users/${user.id}/sessions`);
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(list.body.items.map((s: { device: string }) => s.device).sort(), ['Chrome 120 on macOS Catalina', 'Firefox 121 on Windows 10']);
      const firefox = list.body.items.find((s: { device: string }) => s.device.startsWith('Firefox'));
      assert.equal(firefox.ip, '127.0.0.1');
      assert.equal(firefox.place, 'This computer (loopback)');
      assert.equal(firefox.how, 'Password and authenticator app');
      assert.ok(Date.parse(firefox.signedInAt) > 0 && Date.parse(firefox.lastActiveAt) >= Date.parse(firefox.signedInAt));
      sink.clear();

      const ended = await api(server, tokenA, 'DELETE', `/users/${user.id}/sessions/${firefox.id}`);
      assert.equal(ended.status, 204, ended.text);
      await mustSignIn(desktop);
      await stillIn(laptop);
      const again = await api(server, tokenA, 'DELETE', `/users/${user.id}/sessions/${firefox.id}`);
      assert.equal(again.status, 404);
      assert.equal(again.body.code, 'session.not_found');
      const audit = await server.gatehouse.db.knex('audit_events').where({ action: 'session.end', target: user.id }).first();
      assert.equal(audit.actor, ownerA.id);
      assert.equal(audit.details.by, 'administrator');
      assert.equal(audit.organization_id, ownerA.organizationId);
      const mail = await sink.waitFor((m) => m.subject === message('email.sessions_ended.subject', { count: 1 }) && (m.text ?? '').includes(user.username));
      assert.ok((mail.text ?? '').includes(message('email.sessions_ended.by_admin', { count: 1 })), mail.text);

      const all = await api(server, tokenA, 'DELETE', `/users/${user.id}/sessions`);
      assert.deepEqual({ status: all.status, body: all.body }, { status: 200, body: { ended: 1 } });
      await mustSignIn(laptop);
      assert.deepEqual((await api(server, tokenA, 'GET', `/users/${user.id}/sessions`)).body.items, []);
    });

    it('API isolation and permissions: another organization’s user is 404; a member is refused; an administrator cannot end the owner’s sessions', async () => {
      const { user, laptop } = await memberOnTwoDevices();
      const sessionId = (await api(server, tokenA, 'GET', `/users/${user.id}/sessions`)).body.items[0].id;
      for (const [method, path] of [['GET', `/users/${user.id}/sessions`], ['DELETE', `/users/${user.id}/sessions/${sessionId}`], ['DELETE', `/users/${user.id}/sessions`]] as const) {
        const res = await api(server, tokenB, method, path);
        assert.equal(res.status, 404, `${method} ${path}: ${res.text}`);
        assert.equal(res.body.code, 'user.not_found');
      }
      const member = await api(server, memberToken, 'GET', `/users/${user.id}/sessions`);
      assert.equal(member.status, 403);
      assert.equal(member.body.code, 'access.denied');
      const memberEnd = await api(server, memberToken, 'DELETE', `/users/${user.id}/sessions`);
      assert.equal(memberEnd.status, 403);
      const denied = await server.gatehouse.db.knex('audit_events').where({ action: 'api.endAllUserSessions', outcome: 'denied' }).first();
      assert.ok(denied, 'a refused attempt is audited');
      await stillIn(laptop);
      // An administrator sees the owner's sessions but ranks below: ending them is refused.
      await openSignedIn(server, ownerA, { jar: new CookieJar(CHROME_MAC), clock });
      assert.equal((await api(server, adminToken, 'GET', `/users/${ownerA.id}/sessions`)).status, 200);
      const refused = await api(server, adminToken, 'DELETE', `/users/${ownerA.id}/sessions`);
      assert.equal(refused.status, 403);
      // An administrator does end a member's sessions.
      assert.equal((await api(server, adminToken, 'DELETE', `/users/${user.id}/sessions`)).status, 200);
      await mustSignIn(laptop);
      const doc = await api(server, undefined, 'GET', '/openapi.json');
      assert.ok(doc.body.paths['/users/{id}/sessions'].get && doc.body.paths['/users/{id}/sessions'].delete);
      assert.ok(doc.body.paths['/users/{id}/sessions/{sessionId}'].delete);
      assert.ok(doc.body.components.schemas.Session.properties.device);
    });

    it('Access Management → Users → a user: the sessions, "Sign out" one and "Sign out everywhere"', async () => {
      const { user, laptop, desktop } = await memberOnTwoDevices();
      const admin = await openSignedIn(server, ownerA, { path: `/admin/users/${user.id}`, clock });
      assert.equal(admin.step.status, 200);
      assert.match(admin.step.body, /<h2 id="sessions">Sessions<\/h2>/);
      assert.match(admin.step.body, /Firefox 121 on Windows 10/);
      assert.match(admin.step.body, /Chrome 120 on macOS Catalina/);
      assert.match(admin.step.body, /data-testid="sign-out"/, 'the Sign out control is on admin pages too');
      const firefoxUid = admin.step.body.match(/Firefox 121 on Windows 10[\s\S]*?name="session" value="([^"]+)"/)![1];
      const ended = await postForm(admin.jar, `${server.url}/admin/users/${user.id}`, server.url, { _csrf: adminCsrf(admin.step.body), action: 'end-session', session: firefoxUid });
      assert.match(ended.body, /data-testid="message\/user.session_ended"/);
      assert.doesNotMatch(ended.body, /Firefox 121 on Windows 10/);
      await mustSignIn(desktop);
      await stillIn(laptop);
      const everywhere = await postForm(admin.jar, `${server.url}/admin/users/${user.id}`, server.url, { _csrf: adminCsrf(ended.body), action: 'end-all-sessions' });
      assert.match(everywhere.body, /data-testid="message\/user.sessions_ended"/);
      assert.match(everywhere.body, /data-testid="sessions\/none"/);
      await mustSignIn(laptop);
    });

    it('the Audit Log names people and apps, filters by username, pages through, and has failed sign-ins', async () => {
      const user = await addMember(server, { organizationId: ownerA.organizationId });
      const client = await server.createClient({ client_name: 'Payroll' });
      // A wrong password, then a sign-in, then the owner ends the session.
      const { url } = authorizationRequest(server.url, client);
      const wrong = await signInWithPassword(url, user.username, 'Wrong-Horse-1', new CookieJar(FIREFOX_WINDOWS));
      assert.equal(wrong.step.status, 200);
      await openSignedIn(server, user, { jar: new CookieJar(FIREFOX_WINDOWS), clock });
      await api(server, tokenA, 'DELETE', `/users/${user.id}/sessions`);
      // A connected app acts too (its actor is its client id).
      const created = await api(server, tokenA, 'POST', '/connected-apps', { name: 'Nightly audit export', scopes: ['audit:read'] });
      const app = await appAccessToken(server, created.body.app.clientId, created.body.clientSecret);
      assert.equal((await api(server, app.token, 'DELETE', `/users/${user.id}/sessions`)).status, 403, 'an app without users:manage is refused (and audited)');

      const events = await api(server, tokenA, 'GET', `/audit-events?username=${user.username}&limit=100`);
      assert.equal(events.status, 200, events.text);
      const byAction = (action: string, outcome = 'success') => events.body.items.find((e: { action: string; outcome: string }) => e.action === action && e.outcome === outcome);
      const failed = byAction('session.sign_in', 'failure');
      assert.ok(failed, `the failed sign-in is in the organization's log: ${JSON.stringify(events.body.items.map((e: { action: string }) => e.action))}`);
      assert.equal(failed.targetName, user.username);
      const end = byAction('session.end');
      assert.deepEqual({ actor: end.actor, actorName: end.actorName, target: end.target, targetName: end.targetName }, { actor: ownerA.id, actorName: ownerA.username, target: user.id, targetName: user.username });
      assert.ok(events.body.items.every((e: { actor: string | null; target: string | null }) => e.actor === user.id || e.target === user.id), 'only events about that person');
      const appEvents = await api(server, tokenA, 'GET', `/audit-events?actor=${created.body.app.clientId}`);
      assert.equal(appEvents.body.items[0].actorName, 'Nightly audit export');
      assert.deepEqual((await api(server, tokenA, 'GET', '/audit-events?username=nobody-has-this-name')).body.items, []);

      // Pages: two at a time, following nextCursor, never the same event twice.
      const seen: string[] = [];
      let cursor: string | null = '';
      for (let i = 0; i < 3 && cursor !== null; i++) {
        const page = await api(server, tokenA, 'GET', `/audit-events?username=${user.username}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...page.body.items.map((e: { id: string }) => e.id));
        cursor = page.body.nextCursor;
      }
      assert.equal(new Set(seen).size, seen.length);
      assert.deepEqual(seen, events.body.items.slice(0, seen.length).map((e: { id: string }) => e.id));

      // The admin page: names with the id on hover, the username filter, the export with both.
      const admin = await openSignedIn(server, ownerA, { path: `/admin/audit?username=${user.username}`, clock });
      assert.equal(admin.step.status, 200);
      assert.match(admin.step.body, new RegExp(`<span title="${user.id}">${user.username}</span>`));
      assert.match(admin.step.body, new RegExp(`<span title="${ownerA.id}">${ownerA.username}</span>`));
      assert.match(admin.step.body, /data-testid="audit\/session.sign_in"/);
      const exported = await follow(admin.jar, `${server.url}/admin/audit/export?username=${user.username}`, server.url);
      const lines = exported.body.trim().split('\n').map((l) => JSON.parse(l));
      const exportedEnd = lines.find((l) => l.action === 'session.end');
      assert.deepEqual([exportedEnd.actor, exportedEnd.actorName], [ownerA.id, ownerA.username]);
    });

    it('"Recent sign-ins" shows the device and place, and the failed attempts', async () => {
      const user = await addMember(server, { organizationId: ownerA.organizationId });
      const client = await server.createClient();
      const { url } = authorizationRequest(server.url, client);
      await signInWithPassword(url, user.username, 'Wrong-Horse-1', new CookieJar(FIREFOX_WINDOWS));
      const { step } = await openSignedIn(server, user, { jar: new CookieJar(CHROME_MAC), path: '/account/sign-ins', clock });
      assert.equal(step.status, 200);
      const rows = [...step.body.matchAll(/<tr data-testid="sign-in\/(\w+)">([\s\S]*?)<\/tr>/g)].map((m) => ({
        outcome: m[1],
        result: m[2].match(/data-testid="sign-in\/result">([^<]*)</)?.[1],
        device: m[2].match(/data-testid="sign-in\/device">([^<]*)</)?.[1],
        place: m[2].match(/data-testid="sign-in\/place">([^<]*)</)?.[1],
      }));
      assert.deepEqual(rows, [
        { outcome: 'success', result: 'Signed in', device: 'Chrome 120 on macOS Catalina', place: 'This computer (loopback)' },
        { outcome: 'failure', result: 'Failed attempt: wrong password', device: 'Firefox 121 on Windows 10', place: 'This computer (loopback)' },
      ]);
      assert.doesNotMatch(step.body, /Mozilla\/5\.0/, 'never the raw User-Agent');
    });
  });
}
