// Profile → Sessions without a browser: every active session listed with its device, place, how and
// apps; "Sign out" one and "Sign out of all other sessions" end them in the shared store (the other
// browser must sign in again, its refresh token is refused), audited and emailed; a session saved
// back by a request that still held it stays ended; the Sign out control; "New sign-in" emails.
import assert from 'node:assert/strict';
import { message } from '../../../accounts/messages/catalog.ts';
import * as oidc from 'openid-client';
import { startGatehouse, type TestServer, type TestUser } from '../../helpers/gatehouse-server.ts';
import { describeFor, storeMatrix } from '../../helpers/stores.ts';
import { CookieJar, follow, postForm, request, type Step } from '../../helpers/browserless-user.ts';
import { createTestClock, openSignedIn } from '../../helpers/self-service.ts';
import { startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { backchannelSettled } from '../../../server/backchannel-logout.ts';
import { authorizationRequest, decodeJwtPayload } from '../../helpers/authorization.ts';

const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0';
const CHROME_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const SAFARI_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';

/** The rows of the sessions table: what a person reads in each. */
function sessionRows(html: string) {
  return [...html.matchAll(/<tr data-testid="session(\/current)?">([\s\S]*?)<\/tr>/g)].map((m) => {
    const cell = (id: string) => m[2].match(new RegExp(`data-testid="session/${id}">([^<]*)<`))?.[1]?.trim() ?? null;
    return {
      current: Boolean(m[1]),
      thisDevice: m[2].includes('data-testid="session/this-device"'),
      device: cell('device'),
      ip: cell('ip'),
      place: cell('place'),
      how: cell('how'),
      apps: cell('apps'),
      uid: m[2].match(/name="session" value="([^"]+)"/)?.[1] ?? null,
    };
  });
}
const csrfOf = (html: string) => html.match(/name="csrf" value="([^"]+)"/)![1];

for (const store of storeMatrix()) {
  describeFor(store, 'sessions: the person’s own', () => {
    const clock = createTestClock();
    let sink: SmtpSink;
    let server: TestServer;

    before(async () => {
      sink = await startSmtpSink();
      server = await startGatehouse(store, { SMTP_URL: sink.url }, { clock: clock.now, allowLoopbackApps: true });
    });
    after(async () => {
      await server?.close();
      await sink?.close();
    });

    const signedIn = (user: TestUser, userAgent: string, path = '/account/sessions') => openSignedIn(server, user, { jar: new CookieJar(userAgent), path, clock });
    const sessionsPage = (jar: CookieJar) => follow(jar, `${server.url}/account/sessions`, server.url);

    it('lists every session with its device, place, how and apps, and marks this device', async () => {
      const user = await server.createUser();
      const laptop = await signedIn(user, CHROME_MAC);
      await signedIn(user, FIREFOX_WINDOWS);
      const page = await sessionsPage(laptop.jar);
      assert.equal(page.status, 200);
      assert.match(page.body, /<h1>Sessions<\/h1>/);
      const rows = sessionRows(page.body);
      assert.equal(rows.length, 2, page.body);
      const [mine, other] = rows;
      assert.deepEqual(
        { current: mine.current, thisDevice: mine.thisDevice, device: mine.device, ip: mine.ip, place: mine.place, how: mine.how, apps: mine.apps },
        { current: true, thisDevice: true, device: 'Chrome 120 on macOS Catalina', ip: '127.0.0.1', place: 'This computer (loopback)', how: 'Password and authenticator app', apps: 'Gatehouse account' },
      );
      assert.equal(mine.uid, null, 'this device signs out with the Sign out control, not from the list');
      assert.equal(other.device, 'Firefox 121 on Windows 10');
      assert.equal(other.thisDevice, false);
      assert.ok(other.uid, 'another session has its Sign out button');
      assert.match(page.body, /data-testid="sessions\/end-others"/);
      assert.match(page.body, /data-testid="sign-out"/, 'the Sign out control is on the page');
      const norwegian = await request(laptop.jar, `${server.url}/account/sessions`, { headers: { 'accept-language': 'nb' } });
      assert.match(norwegian.body, /Logg ut av alle andre økter/, 'in Norwegian Bokmål for a reader who asks for it');
      assert.match(norwegian.body, /data-testid="session\/this-device">Denne enheten</);
      // The device, the place and how it signed in are in the reader's words too (browser and system names stay).
      const [nbMine, nbOther] = sessionRows(norwegian.body);
      assert.deepEqual(
        { device: nbMine.device, place: nbMine.place, how: nbMine.how, other: nbOther.device },
        {
          device: message('device.browser_on_system', { browser: 'Chrome 120', system: 'macOS Catalina' }, 'nb'),
          place: message('place.loopback', undefined, 'nb'),
          how: message('sign_in_method.password_and', { method: { code: 'page.account_permissions.method.totp' } }, 'nb'),
          other: message('device.browser_on_system', { browser: 'Firefox 121', system: 'Windows 10' }, 'nb'),
        },
      );
    });

    it('a re-authentication in the same session keeps the device and the way it first signed in', async () => {
      const user = await server.createUser();
      const laptop = await signedIn(user, CHROME_MAC);
      // The same session (its cookies) asked to sign in again (prompt=login), from another browser string.
      const again = new CookieJar(FIREFOX_WINDOWS);
      again.store(laptop.jar.header().split('; '));
      const client = await server.createClient();
      const { url } = authorizationRequest(server.url, client, { prompt: 'login' });
      const { step } = await openSignedIn(server, user, { jar: again, path: url.slice(server.url.length), clock });
      assert.ok(step.location?.startsWith(client.redirect_uris[0]), `signed in again and sent back to the app: ${step.status} ${step.location ?? step.url}`);
      // The provider gives the session a new cookie at every sign-in (fixation), so the second browser string reads the list.
      const rows = sessionRows((await sessionsPage(again)).body);
      assert.equal(rows.length, 1, 'still one session');
      assert.deepEqual({ device: rows[0].device, how: rows[0].how }, { device: 'Chrome 120 on macOS Catalina', how: 'Password and authenticator app' });
    });

    it('"Sign out of all other sessions": the other browser signs in again, its refresh token is refused; audited and emailed', async () => {
      const user = await server.createUser();
      const client = await server.createClient({ client_name: 'Ledger' });
      const rp = await oidc.discovery(new URL(server.url), client.client_id, client.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
      const verifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(rp, {
        redirect_uri: client.redirect_uris[0],
        scope: 'openid offline_access',
        prompt: 'consent',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      // The phone signs in to the app (refresh token) and has the profile open too.
      const phone = await openSignedIn(server, user, { jar: new CookieJar(SAFARI_IPHONE), path: url.pathname + url.search, clock });
      assert.ok(phone.step.location?.startsWith(client.redirect_uris[0]), `back at the app: ${phone.step.location}`);
      const tokens = await oidc.authorizationCodeGrant(rp, new URL(phone.step.location!), { pkceCodeVerifier: verifier, idTokenExpected: true });
      assert.ok(tokens.refresh_token);
      assert.equal((await follow(phone.jar, `${server.url}/account`, server.url)).status, 200);
      const laptop = await signedIn(user, CHROME_MAC);
      const before = sessionRows(laptop.step.body);
      assert.equal(before.length, 2);
      assert.equal(before.find((r) => !r.current)?.apps, 'Ledger', 'the app signed in through that session');
      sink.clear();

      const done = await postForm(laptop.jar, `${server.url}/account/sessions/end-others`, server.url, { csrf: csrfOf(laptop.step.body) });
      assert.equal(done.status, 200);
      assert.match(done.body, /data-testid="message\/session.ended_others"/);
      assert.deepEqual(sessionRows(done.body).map((r) => r.current), [true], 'only this device is left');

      const again = await follow(phone.jar, `${server.url}/account`, server.url);
      assert.match(again.url, /\/interaction\//, 'the phone must sign in again');
      assert.match(again.body, /name="password"/);
      await assert.rejects(oidc.refreshTokenGrant(rp, tokens.refresh_token!), (err: oidc.ResponseBodyError) => err.error === 'invalid_grant');
      assert.equal((await oidc.tokenIntrospection(rp, tokens.access_token)).active, false, 'its access token is revoked too');
      assert.equal((await follow(laptop.jar, `${server.url}/account`, server.url)).status, 200, 'this device stays signed in');

      const audit = await server.gatehouse.db.knex('audit_events').where({ action: 'session.end', target: user.id }).select('*');
      assert.equal(audit.length, 1);
      assert.equal(audit[0].actor, user.id);
      assert.equal(audit[0].details.by, 'self');
      assert.equal(audit[0].details.device, 'Safari 17 on iOS 17');
      assert.ok(audit[0].organization_id, 'in the account’s organization');
      const mail = await sink.waitFor((m) => m.subject === message('email.sessions_ended.subject', { count: 1 }) && (m.text ?? '').includes(user.username));
      assert.match(mail.text ?? '', /Safari 17 on iOS 17/);
      assert.match(mail.text ?? '', new RegExp(`${server.url}/account/sessions`));
    });

    /** An app with a back-channel logout URI on 127.0.0.1, and the logout tokens it received. */
    async function backchannelApp(name: string) {
      const received: string[] = [];
      const receiver = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          received.push(new URLSearchParams(body).get('logout_token') ?? '');
          res.writeHead(200).end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      const { port } = receiver.address() as AddressInfo;
      const client = await server.createClient({ client_name: name, backchannel_logout_uri: `http://127.0.0.1:${port}/logout`, backchannel_logout_session_required: true });
      const rp = await oidc.discovery(new URL(server.url), client.client_id, client.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
      return {
        client,
        received,
        /** Signs `user` in to the app on a device; the sid of the session its ID token names. */
        async signIn(user: TestUser, userAgent: string) {
          const verifier = oidc.randomPKCECodeVerifier();
          const url = oidc.buildAuthorizationUrl(rp, { redirect_uri: client.redirect_uris[0], scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
          const device = await openSignedIn(server, user, { jar: new CookieJar(userAgent), path: url.pathname + url.search, clock });
          const tokens = await oidc.authorizationCodeGrant(rp, new URL(device.step.location!), { pkceCodeVerifier: verifier, idTokenExpected: true });
          return decodeJwtPayload(tokens.id_token!).sid as string;
        },
        async delivered() {
          await server.gatehouse.selfService.jobs.settled(); // the delivery runs after the response
          await backchannelSettled(server.gatehouse.provider);
          return received.map(decodeJwtPayload);
        },
        close() {
          receiver.closeAllConnections();
          return new Promise<void>((resolve) => receiver.close(() => resolve()));
        },
      };
    }

    it('an ended session’s apps get back-channel logout with the sid they know it by', async () => {
      const app = await backchannelApp('Wiki');
      try {
        const user = await server.createUser();
        const sid = await app.signIn(user, SAFARI_IPHONE);
        assert.ok(sid, 'the app was told the session id');
        const laptop = await signedIn(user, CHROME_MAC);
        await postForm(laptop.jar, `${server.url}/account/sessions/end-others`, server.url, { csrf: csrfOf(laptop.step.body) });
        const tokens = await app.delivered();
        assert.equal(tokens.length, 1, 'one logout token, to the app of the ended session');
        assert.equal(tokens[0].sub, user.id);
        assert.equal(tokens[0].sid, sid);
        assert.equal(tokens[0].aud, app.client.client_id);
        assert.ok(tokens[0].events['http://schemas.openid.net/event/backchannel-logout']);
      } finally {
        await app.close();
      }
    });

    it('a password change ends the other sessions the same way (their apps get back-channel logout)', async () => {
      const app = await backchannelApp('Tracker');
      try {
        const user = await server.createUser();
        const sid = await app.signIn(user, SAFARI_IPHONE);
        const laptop = await signedIn(user, CHROME_MAC, '/account/password');
        const changed = await postForm(laptop.jar, `${server.url}/account/password`, server.url, { csrf: csrfOf(laptop.step.body), currentPassword: user.password, newPassword: 'Brand-New-Pass-1' });
        assert.match(changed.body, /data-testid="message\/account.password_changed"/);
        const tokens = await app.delivered();
        assert.deepEqual(tokens.map((t) => [t.sub, t.sid]), [[user.id, sid]]);
        assert.equal(await server.gatehouse.db.knex('audit_events').where({ action: 'session.end', target: user.id }).first(), undefined, 'audited as the password change, not as a session end');
      } finally {
        await app.close();
      }
    });

    it('"Sign out" on one session ends only that one; a session already ended answers "already ended"', async () => {
      const user = await server.createUser();
      const a = await signedIn(user, CHROME_MAC);
      const b = await signedIn(user, FIREFOX_WINDOWS);
      const c = await signedIn(user, SAFARI_IPHONE);
      const page = await sessionsPage(a.jar);
      const firefox = sessionRows(page.body).find((r) => r.device?.startsWith('Firefox'))!;
      const ended = await postForm(a.jar, `${server.url}/account/sessions/end`, server.url, { csrf: csrfOf(page.body), session: firefox.uid! });
      assert.match(ended.body, /data-testid="message\/session.ended"/);
      assert.deepEqual(sessionRows(ended.body).map((r) => r.device).sort(), ['Chrome 120 on macOS Catalina', 'Safari 17 on iOS 17']);
      assert.match((await follow(b.jar, `${server.url}/account`, server.url)).url, /\/interaction\//);
      assert.equal((await follow(c.jar, `${server.url}/account`, server.url)).status, 200);
      const twice = await postForm(a.jar, `${server.url}/account/sessions/end`, server.url, { csrf: csrfOf(page.body), session: firefox.uid! });
      assert.match(twice.body, /data-testid="message\/session.gone"/);
      // Another person's session id is "already ended" too: nobody ends sessions that are not theirs.
      const stranger = await server.createUser();
      const theirs = await signedIn(stranger, CHROME_MAC);
      const theirUid = (await server.gatehouse.db.knex('account_provider_state').where({ account_id: stranger.id, model: 'Session' }).first()).uid;
      const refused = await postForm(a.jar, `${server.url}/account/sessions/end`, server.url, { csrf: csrfOf(page.body), session: theirUid });
      assert.match(refused.body, /data-testid="message\/session.gone"/);
      assert.equal((await follow(theirs.jar, `${server.url}/account`, server.url)).status, 200);
    });

    it('a request that still held an ended session cannot save it back to life', async () => {
      const user = await server.createUser();
      const a = await signedIn(user, CHROME_MAC);
      const b = await signedIn(user, FIREFOX_WINDOWS);
      const sessions = server.gatehouse.provider.Session;
      const rows = await server.gatehouse.db.knex('account_provider_state').where({ account_id: user.id, model: 'Session' }).select('id', 'uid');
      const loaded = [];
      for (const row of rows) {
        const s = await sessions.find(row.id);
        if (s) loaded.push(s);
      }
      const page = await sessionsPage(a.jar);
      const firefox = sessionRows(page.body).find((r) => r.device?.startsWith('Firefox'))!;
      const held = loaded.find((s) => s.uid === firefox.uid)!;
      assert.ok(held, 'a copy of the other session, as a request in another process would hold it');
      await postForm(a.jar, `${server.url}/account/sessions/end`, server.url, { csrf: csrfOf(page.body), session: firefox.uid! });
      await held.persist(); // what that request does when it finishes
      assert.equal(await sessions.find(held.jti), undefined);
      assert.match((await follow(b.jar, `${server.url}/account`, server.url)).url, /\/interaction\//);
    });

    it('the Sign out control ends this session through the provider’s logout and returns to the sign-in page', async () => {
      const user = await server.createUser();
      const { jar, step } = await signedIn(user, CHROME_MAC, '/account');
      const token = step.body.match(/name="xsrf" value="([^"]+)"/)?.[1];
      assert.ok(token, 'the profile page has the Sign out form');
      assert.match(step.body, /<form class="sign-out" method="post" action="\/account\/sign-out">/);
      const post = await request(jar, `${server.url}/account/sign-out`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ xsrf: token!, logout: 'yes' }).toString(),
      });
      assert.equal(post.status, 307, 'the browser re-sends the form to the end-session confirmation');
      assert.equal(post.location, `${server.url}/session/end/confirm`);
      const confirmed = await request(jar, post.location!, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ xsrf: token!, logout: 'yes' }).toString(),
      });
      assert.equal(confirmed.status, 303);
      assert.equal(confirmed.location, `${server.url}/account`);
      const after: Step = await follow(jar, confirmed.location!, server.url);
      assert.match(after.url, /\/interaction\//);
      assert.match(after.body, /name="username"/, 'the sign-in page, signed out');
      const logout = await server.gatehouse.db.knex('audit_events').where({ action: 'session.logout', actor: user.id }).first();
      assert.ok(logout, 'audited');
      // A forged form (another session's token, or none) does nothing.
      const second = await signedIn(user, CHROME_MAC, '/account');
      const forged = await request(second.jar, `${server.url}/account/sign-out`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ xsrf: token!, logout: 'yes' }).toString(),
      });
      assert.equal(forged.status, 403);
      assert.equal((await follow(second.jar, `${server.url}/account`, server.url)).status, 200, 'still signed in');
    });

    it('emails "New sign-in to your account" for a device never seen for the account, once', async () => {
      const user = await server.createUser();
      const address = `${user.username}@example.com`;
      await signedIn(user, CHROME_MAC);
      await signedIn(user, CHROME_MAC.replace('Chrome/120', 'Chrome/121'));
      await server.gatehouse.selfService.jobs.settled();
      const newSignIn = message('email.new_sign_in.subject');
      assert.equal(sink.to(address).filter((m) => m.subject === newSignIn).length, 0, 'the first device, and a browser update of it, are not new');
      await signedIn(user, FIREFOX_WINDOWS);
      await server.gatehouse.selfService.jobs.settled();
      const mail = await sink.waitFor((m) => m.subject === newSignIn && sink.to(address).includes(m));
      const text = mail.text ?? '';
      assert.ok(text.includes(message('email.new_sign_in.device', { device: message('device.browser_on_system', { browser: 'Firefox 121', system: 'Windows 10' }) })), text);
      assert.ok(text.includes(message('email.new_sign_in.ip', { ip: `127.0.0.1 (${message('place.loopback')})` })), text);
      assert.ok(text.includes(message('email.new_sign_in.how', { how: message('sign_in_method.password_and', { method: { code: 'page.account_permissions.method.totp' } }) })), text);
      assert.ok((mail.text ?? '').includes(`${server.url}/account/sessions`));
      await signedIn(user, FIREFOX_WINDOWS);
      await server.gatehouse.selfService.jobs.settled();
      assert.equal(sink.to(address).filter((m) => m.subject === newSignIn).length, 1);
      const devices = await server.gatehouse.db.knex('account_devices').where({ account_id: user.id }).orderBy('fingerprint').pluck('fingerprint');
      assert.deepEqual(devices, ['chrome|macos', 'firefox|windows'], 'fingerprints, never the User-Agent');
    });
  });
}
