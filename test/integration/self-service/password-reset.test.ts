// The reset link and "Reset your password": rules and history, single use, 60 minutes, bound to the
// account, no-referrer, and on success every session and refresh token of the account is gone.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { startGatehouse, type TestServer, type TestUser } from '../../helpers/gatehouse-server.ts';
import { describeFor, storeMatrix } from '../../helpers/stores.ts';
import { CookieJar, follow, postForm, request } from '../../helpers/browserless-user.ts';
import { createTestClock, messageCodes, openSignedIn } from '../../helpers/self-service.ts';
import { resetLinkIn, startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';

for (const store of storeMatrix()) {
  describeFor(store, 'self-service: password reset', () => {
    const clock = createTestClock();
    let sink: SmtpSink;
    let server: TestServer;

    before(async () => {
      sink = await startSmtpSink();
      server = await startGatehouse(store, { SMTP_URL: sink.url }, { clock: clock.now });
    });
    after(async () => {
      await server?.close();
      await sink?.close();
    });

    /** Asks for a link through the forgot form and returns it from the email. */
    async function resetLink(user: TestUser): Promise<string> {
      clock.advance(5 * 60 * 1000 + 1000); // stay under 3 links per 15 minutes
      const before = sink.to(`${user.username}@example.com`).length;
      await request(new CookieJar(), `${server.url}/forgot`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ identifier: user.username }).toString(),
      });
      await server.gatehouse.selfService.jobs.settled();
      const mails = sink.to(`${user.username}@example.com`).filter((m) => m.subject === 'Reset your Gatehouse password');
      assert.ok(mails.length > 0 && sink.to(`${user.username}@example.com`).length > before, 'a reset email arrived');
      return resetLinkIn(mails[mails.length - 1]);
    }
    const submit = (link: string, password: string) => postForm(new CookieJar(), link, server.url, { password });
    /** Opens the link as a browser does (cookies kept, redirects followed): the page it ends on. */
    const open = (link: string, jar = new CookieJar()) => follow(jar, link, server.url);

    it('shows "Reset your password" with a labelled new password field and "Reset Password", with no referrer', async () => {
      const user = await server.createUser();
      const link = await resetLink(user);
      const response = await fetch(link, { redirect: 'manual' });
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
      const page = await open(link);
      assert.equal(page.status, 200);
      const html = page.body;
      assert.match(html, /<h1>Reset your password<\/h1>/);
      assert.match(html, /<label for="password">New password<\/label>/);
      assert.match(html, /<button type="submit">Reset Password<\/button>/);
      // Opening the link (mail scanners do) does not spend it.
      assert.equal((await open(link)).status, 200);
    });

    it('takes the token out of the address bar: a short-lived HttpOnly cookie and a redirect to /reset', async () => {
      const user = await server.createUser();
      const link = await resetLink(user);
      const token = link.split('/reset/')[1];
      const first = await fetch(link, { redirect: 'manual' });
      assert.equal(first.status, 303);
      assert.equal(new URL(first.headers.get('location')!, server.url).href, `${server.url}/reset`);
      const cookie = first.headers.getSetCookie().find((c) => c.startsWith('gatehouse.reset='));
      assert.ok(cookie, 'the token moves into a cookie');
      assert.match(cookie, /httponly/i);
      assert.match(cookie, /path=\/reset/i);
      assert.match(cookie, /samesite=lax/i);
      assert.match(cookie, /max-age=900|expires=/i, 'short-lived');
      const jar = new CookieJar();
      const page = await open(link, jar);
      assert.equal(page.url, `${server.url}/reset`, 'the address bar shows no token');
      assert.ok(!page.body.includes(token), 'nor does the page');
      assert.match(page.body, /action="\/reset"/);
      assert.equal(page.status, 200);
      const done = await postForm(jar, `${server.url}/reset`, server.url, { password: 'Brand-New-Pass-7' });
      assert.equal(done.status, 200);
      assert.deepEqual(messageCodes(done.body), ['password.reset_done']);
      assert.equal((await open(`${server.url}/reset`, jar)).status, 410, 'the cookie is spent with the link');
      assert.equal((await request(new CookieJar(), `${server.url}/reset`)).status, 410, 'no cookie, no page');
    });

    it('a newer link retires the older ones', async () => {
      const user = await server.createUser();
      const older = await resetLink(user);
      const newer = await resetLink(user);
      assert.notEqual(older, newer);
      assert.equal((await open(older)).status, 410, 'the older link no longer works');
      assert.equal((await submit(older, 'Brand-New-Pass-8')).status, 410);
      assert.equal((await open(newer)).status, 200, 'the newest one does');
      assert.equal((await submit(newer, 'Brand-New-Pass-8')).status, 200);
    });

    const rules: [string, string, string][] = [
      ['too short', 'Ab1-xyz', 'password.length'],
      ['no uppercase', 'lantern-quiet-77', 'password.missing_uppercase'],
      ['no lowercase', 'LANTERN-QUIET-77', 'password.missing_lowercase'],
      ['no number', 'Lantern-Quiet-Sky', 'password.missing_number'],
      ['not printable ASCII', 'Lantern-Quiet-77€', 'password.invalid_characters'],
      ['common', 'Welcome1', 'password.too_common'],
    ];
    for (const [name, password, code] of rules) {
      it(`refuses a new password that is ${name} (${code}) and keeps the link valid`, async () => {
        const user = await server.createUser();
        const link = await resetLink(user);
        const page = await submit(link, password);
        assert.equal(page.status, 400);
        assert.deepEqual(messageCodes(page.body), [code]);
        assert.equal((await open(link)).status, 200, 'still usable');
      });
    }

    it("refuses the previous three passwords, and accepts the fourth one back", async () => {
      const user = await server.createUser();
      const history = [user.password, 'Second-Pass-22', 'Third-Pass-33'];
      for (const next of history.slice(1)) assert.equal((await submit(await resetLink(user), next)).status, 200);
      for (const old of history) {
        const page = await submit(await resetLink(user), old);
        assert.deepEqual(messageCodes(page.body), ['password.reused'], old);
      }
      assert.equal((await submit(await resetLink(user), 'Fourth-Pass-44')).status, 200);
      assert.equal((await submit(await resetLink(user), user.password)).status, 200, 'the first password is now four back');
    });

    it('works once', async () => {
      const user = await server.createUser();
      const link = await resetLink(user);
      const done = await submit(link, 'Brand-New-Pass-1');
      assert.equal(done.status, 200);
      assert.deepEqual(messageCodes(done.body), ['password.reset_done']);
      const again = await submit(link, 'Brand-New-Pass-2');
      assert.equal(again.status, 410);
      assert.deepEqual(messageCodes(again.body), ['reset.link_invalid']);
      assert.equal((await fetch(link)).status, 410);
    });

    it('expires after 60 minutes', async () => {
      const user = await server.createUser();
      const link = await resetLink(user);
      clock.advance(61 * 60 * 1000);
      assert.equal((await fetch(link)).status, 410);
      assert.equal((await submit(link, 'Brand-New-Pass-1')).status, 410);
    });

    it('refuses unknown and malformed tokens', async () => {
      for (const token of [randomBytes(32).toString('base64url'), 'x', 'a'.repeat(300)]) {
        assert.equal((await fetch(`${server.url}/reset/${token}`)).status, 410, token);
      }
      // A NUL in the address is refused at the edge (server/input-guard.ts), before any route.
      assert.equal((await fetch(`${server.url}/reset/%00`)).status, 400);
    });

    it('a new password from a link works for that account only; the old password stops working', async () => {
      const user = await server.createUser();
      const bystander = await server.createUser();
      await submit(await resetLink(user), 'Brand-New-Pass-1');
      const stored = await server.gatehouse.accounts.findPasswordCredential(user.username);
      assert.equal(await server.gatehouse.hasher.verify(stored!.hash, 'Brand-New-Pass-1'), true);
      assert.equal(await server.gatehouse.hasher.verify(stored!.hash, user.password), false);
      const other = await server.gatehouse.accounts.findPasswordCredential(bystander.username);
      assert.equal(await server.gatehouse.hasher.verify(other!.hash, bystander.password), true);
    });

    it('ends every session and refresh token of the account, emails a confirmation and audits', async () => {
      const user = await server.createUser();
      const client = await server.createClient();
      const rp = await oidc.discovery(new URL(server.url), client.client_id, client.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
      // An app signed in through the browser (refresh token), and the profile open in the same browser.
      const verifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(rp, {
        redirect_uri: client.redirect_uris[0],
        scope: 'openid offline_access',
        prompt: 'consent',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const { jar, step } = await openSignedIn(server, user, { path: url.pathname + url.search, clock });
      assert.ok(step.location?.startsWith(client.redirect_uris[0]), `back at the app: ${step.location}`);
      const tokens = await oidc.authorizationCodeGrant(rp, new URL(step.location!), { pkceCodeVerifier: verifier, idTokenExpected: true });
      assert.ok(tokens.refresh_token, 'a refresh token');
      const profile = await follow(jar, `${server.url}/account`, server.url);
      assert.equal(profile.status, 200, 'signed in to the profile');
      // A second browser.
      const other = await openSignedIn(server, user, { clock });
      assert.equal(other.step.status, 200);

      const done = await submit(await resetLink(user), 'Brand-New-Pass-1');
      assert.equal(done.status, 200);

      await assert.rejects(oidc.refreshTokenGrant(rp, tokens.refresh_token!), (err: oidc.ResponseBodyError) => err.error === 'invalid_grant');
      const introspected = await oidc.tokenIntrospection(rp, tokens.access_token);
      assert.equal(introspected.active, false, 'the access token is revoked too');
      for (const browser of [jar, other.jar]) {
        const again = await follow(browser, `${server.url}/account`, server.url);
        assert.match(again.url, /\/interaction\//, 'the browser must sign in again');
        assert.match(again.body, /name="username"/);
      }
      const notice = await sink.waitFor((m) => m.subject === 'Your Gatehouse password was changed' && m.text!.includes(user.username));
      assert.match(notice.text ?? '', /reset/);
      const audit = await server.gatehouse.db.knex('audit_events').where({ action: 'password.reset', target: user.id, outcome: 'success' }).first();
      assert.ok(audit.details.revoked.sessions >= 2, JSON.stringify(audit.details));
      assert.ok(audit.details.revoked.grants >= 1, JSON.stringify(audit.details));
    });

    it('an administrator-sent link (same link, same page) says who sent it', async () => {
      const user = await server.createUser();
      const admin = await server.createUser();
      assert.equal(await server.gatehouse.selfService.passwordReset.issueLink(user.id, { requestedBy: admin.id }), true);
      const mail = await sink.waitFor((m) => m.subject === 'Reset your Gatehouse password' && (m.text ?? '').includes(`"${user.username}"`) && /administrator/.test(m.text ?? ''));
      assert.equal((await submit(resetLinkIn(mail), 'Brand-New-Pass-1')).status, 200);
      const row = await server.gatehouse.db.knex('password_reset_tokens').where({ account_id: user.id }).first();
      assert.equal(row.requested_by, admin.id);
      assert.equal(row.token_hash, createHash('sha256').update(resetLinkIn(mail).split('/reset/')[1]).digest('hex'));
    });
  });
}
