// The profile at /account: Contact Info (name, phone, email + verification), email verification and
// change, change password, permissions; CSRF on every form; re-authentication before email and
// password changes (the clock moves, nobody sleeps); a failing mail server.
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startGatehouse, type TestServer, type TestUser } from '../../helpers/gatehouse-server.ts';
import { CookieJar, follow, postForm, type Step } from '../../helpers/browserless-user.ts';
import { createTestClock, csrfOf, messageCodes, openSignedIn, postWithCsrf } from '../../helpers/self-service.ts';
import { codeIn, startSmtpSink, type SmtpSink } from '../../helpers/smtp-sink.ts';

describe('self-service: profile', () => {
  const clock = createTestClock();
  let sink: SmtpSink;
  let server: TestServer;

  before(async () => {
    sink = await startSmtpSink();
    server = await startGatehouse(undefined, { SMTP_URL: sink.url }, { clock: clock.now });
  });
  after(async () => {
    await server?.close();
    await sink?.close();
  });
  beforeEach(() => {
    sink.failing = false;
  });

  const signedIn = (user: TestUser, path = '/account', jar?: CookieJar) => openSignedIn(server, user, { path, clock, jar });
  const testid = (html: string, id: string) => html.match(new RegExp(`data-testid="${id}"[^>]*>([^<]*)<`))?.[1];
  const account = (id: string) => server.gatehouse.db.knex('accounts').where({ id }).first();

  it('sends a signed-out person through Gatehouse sign-in (the profile is an OIDC client) and back', async () => {
    const user = await server.createUser();
    const first = await follow(new CookieJar(), `${server.url}/account`, server.url);
    assert.match(first.url, /\/interaction\//);
    assert.match(first.body, /<h1>Sign in<\/h1>/);
    const { step } = await signedIn(user);
    assert.equal(step.status, 200);
    assert.equal(new URL(step.url).pathname, '/account');
    assert.equal(testid(step.body, 'profile/username'), user.username);
  });

  it('shows Contact Info: name, phone number and email with its verification state', async () => {
    const user = await server.createUser({ emailVerified: false });
    const { step } = await signedIn(user);
    assert.match(step.body, /<h2>Contact Info<\/h2>/);
    assert.equal(testid(step.body, 'profile/email'), `${user.username}@example.com`);
    assert.equal(testid(step.body, 'profile/email-status'), 'Not verified');
    assert.match(step.body, /<button type="submit">Verify Email<\/button>/);
    for (const label of ['Name', 'Phone Number']) assert.match(step.body, new RegExp(`<label for="[a-zA-Z]+">${label}</label>`));
  });

  it('edits name and phone (stored in E.164) and refuses an invalid phone next to the field', async () => {
    const user = await server.createUser();
    const { jar, step } = await signedIn(user);
    const saved = await postWithCsrf(jar, server, step, '/account/contact', { name: 'Ana <Bell>', phoneNumber: '+44 20 7946 0958' });
    assert.equal(saved.status, 200);
    assert.deepEqual(messageCodes(saved.body), ['account.contact_saved']);
    assert.equal(testid(saved.body, 'profile/name'), 'Ana &lt;Bell&gt;');
    assert.equal(testid(saved.body, 'profile/phone'), '+442079460958');
    const bad = await postWithCsrf(jar, server, step, '/account/contact', { name: 'Ana', phoneNumber: '12345' });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /id="phoneNumber-error-1" data-testid="message\/phone.invalid"/);
    assert.match(bad.body, /value="12345"/, 'keeps what was typed');
    assert.equal((await account(user.id)).phone_number, '+442079460958');
  });

  it('refuses every profile form without this session\'s CSRF token', async () => {
    const user = await server.createUser({ emailVerified: false });
    const { jar } = await signedIn(user);
    const other = await signedIn(await server.createUser());
    const foreign = csrfOf(other.step.body);
    for (const path of ['/account/contact', '/account/email/verification', '/account/email/verification/confirm', '/account/email', '/account/email/confirm', '/account/password']) {
      for (const csrf of [undefined, foreign]) {
        const page = await postForm(jar, `${server.url}${path}`, server.url, { ...(csrf ? { csrf } : {}), name: 'X', email: 'x@example.com', code: '000000' });
        assert.equal(page.status, 403, `${path} ${csrf ? 'foreign' : 'missing'} token`);
        assert.match(page.body, /data-testid="error\/csrf.invalid"/);
      }
    }
    assert.equal((await account(user.id)).name, null);
  });

  describe('email verification ("Verify Email" → code → "Confirm")', () => {
    async function sendCode(user: TestUser) {
      const { jar, step } = await signedIn(user);
      const page = await postWithCsrf(jar, server, step, '/account/email/verification', {});
      return { jar, page };
    }
    const latestCode = async (user: TestUser) => codeIn(await sink.waitFor((m) => (m.to as { text: string }).text === `${user.username}@example.com` && /verification code/.test(m.subject ?? '')));

    it('sends a 6-digit code; "Confirm" with it marks the email verified, and the ID token says so', async () => {
      const user = await server.createUser({ emailVerified: false });
      const { jar, page } = await sendCode(user);
      assert.equal(page.status, 200);
      assert.equal(new URL(page.url).pathname, '/account/email/verification');
      assert.match(page.body, /<label for="code">Verification code<\/label>/);
      assert.match(page.body, /<button type="submit">Confirm<\/button>/);
      const code = await latestCode(user);
      const stored = await server.gatehouse.db.knex('email_codes').where({ account_id: user.id }).first();
      assert.ok(!JSON.stringify(stored).includes(code), 'only an HMAC of the code is stored');
      const done = await postWithCsrf(jar, server, page, '/account/email/verification/confirm', { code });
      assert.deepEqual(messageCodes(done.body), ['account.email_verified']);
      assert.equal(testid(done.body, 'profile/email-status'), 'Verified');
      assert.equal((await account(user.id)).email_verified, true);

      const client = await server.createClient();
      const rp = await oidc.discovery(new URL(server.url), client.client_id, client.client_secret, undefined, { execute: [oidc.allowInsecureRequests] });
      const verifier = oidc.randomPKCECodeVerifier();
      // The ID token carries email_verified when asked for it (OIDC Core §5.5); userinfo always does.
      const url = oidc.buildAuthorizationUrl(rp, {
        redirect_uri: client.redirect_uris[0],
        scope: 'openid email',
        claims: JSON.stringify({ id_token: { email_verified: null } }),
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const back = await follow(jar, url.href, server.url);
      const tokens = await oidc.authorizationCodeGrant(rp, new URL(back.location!), { pkceCodeVerifier: verifier, idTokenExpected: true });
      assert.equal(tokens.claims()!.email_verified, true);
      const info = await oidc.fetchUserInfo(rp, tokens.access_token, user.id);
      assert.equal(info.email_verified, true);
    });

    it('refuses a wrong code with the tries left, and after 5 tries asks for a new code', async () => {
      const user = await server.createUser({ emailVerified: false });
      const { jar, page } = await sendCode(user);
      const code = await latestCode(user);
      const wrong = code === '000000' ? '111111' : '000000';
      for (let i = 1; i <= 4; i++) {
        const attempt = await postWithCsrf(jar, server, page, '/account/email/verification/confirm', { code: wrong });
        assert.equal(attempt.status, 400);
        assert.deepEqual(messageCodes(attempt.body), ['code.invalid']);
        assert.match(attempt.body, new RegExp(`${5 - i} tr(y|ies) left`));
      }
      const fifth = await postWithCsrf(jar, server, page, '/account/email/verification/confirm', { code: wrong });
      assert.deepEqual(messageCodes(fifth.body), ['code.too_many_attempts']);
      const right = await postWithCsrf(jar, server, page, '/account/email/verification/confirm', { code });
      assert.deepEqual(messageCodes(right.body), ['code.too_many_attempts']);
      assert.equal((await account(user.id)).email_verified, false);
    });

    it('refuses a code older than 15 minutes, and a code used once', async () => {
      const user = await server.createUser({ emailVerified: false });
      const { jar, page } = await sendCode(user);
      const code = await latestCode(user);
      clock.advance(16 * 60 * 1000);
      const late = await postWithCsrf(jar, server, page, '/account/email/verification/confirm', { code });
      assert.deepEqual(messageCodes(late.body), ['code.expired']);
      sink.clear();
      const resent = await postWithCsrf(jar, server, page, '/account/email/verification', {});
      const fresh = await latestCode(user);
      assert.deepEqual(messageCodes((await postWithCsrf(jar, server, resent, '/account/email/verification/confirm', { code: fresh })).body), ['account.email_verified']);
      await server.gatehouse.db.knex('accounts').where({ id: user.id }).update({ email_verified: false });
      const reused = await server.gatehouse.selfService.emailVerification.confirm(user.id, fresh).catch((e) => e.code);
      assert.equal(reused, 'code.expired');
    });

    it('when the mail server fails: "we could not send the email", no code left valid, logged and audited', async () => {
      const user = await server.createUser({ emailVerified: false });
      sink.failing = true;
      const { page } = await sendCode(user);
      assert.equal(page.status, 503);
      assert.deepEqual(messageCodes(page.body), ['mail.send_failed']);
      assert.match(page.body, /We could not send the email\. Try again/);
      assert.equal((await server.gatehouse.db.knex('email_codes').where({ account_id: user.id })).length, 0);
      const audit = await server.gatehouse.db.knex('audit_events').where({ action: 'email.verification_sent', target: user.id }).first();
      assert.equal(audit.outcome, 'failure');
    });
  });

  describe('change email (new address → code to the NEW address → "Confirm")', () => {
    it('makes the new address the primary, verified one and notifies the old address', async () => {
      const user = await server.createUser({ emailVerified: false });
      const { jar, step } = await signedIn(user, '/account/email');
      assert.match(step.body, /<label for="email">New email address<\/label>/);
      assert.match(step.body, /<button type="submit">Save Changes<\/button>/);
      const newEmail = `new_${user.username}@example.net`;
      const codePage = await postWithCsrf(jar, server, step, '/account/email', { email: newEmail });
      assert.equal(new URL(codePage.url).pathname, '/account/email/confirm');
      assert.ok(codePage.body.includes(newEmail));
      const mail = await sink.waitFor((m) => (m.to as { text: string }).text === newEmail);
      assert.equal(sink.to(`${user.username}@example.com`).filter((m) => /Confirm your new/.test(m.subject ?? '')).length, 0, 'the code goes to the new address only');
      const done = await postWithCsrf(jar, server, codePage, '/account/email/confirm', { code: codeIn(mail) });
      assert.deepEqual(messageCodes(done.body), ['account.email_changed']);
      assert.equal(testid(done.body, 'profile/email'), newEmail);
      assert.equal(testid(done.body, 'profile/email-status'), 'Verified');
      const row = await account(user.id);
      assert.equal(row.email, newEmail);
      assert.equal(row.email_verified, true);
      const notice = await sink.waitFor((m) => (m.to as { text: string }).text === `${user.username}@example.com` && /was changed/.test(m.subject ?? ''));
      assert.ok(notice.text?.includes(newEmail));
    });

    it('refuses an invalid address next to the field, and the current one', async () => {
      const user = await server.createUser();
      const { jar, step } = await signedIn(user, '/account/email');
      const bad = await postWithCsrf(jar, server, step, '/account/email', { email: 'nope' });
      assert.equal(bad.status, 400);
      assert.match(bad.body, /id="email-error-1" data-testid="message\/email.invalid"/);
      const same = await postWithCsrf(jar, server, step, '/account/email', { email: `${user.username}@example.com` });
      assert.deepEqual(messageCodes(same.body), ['email.unchanged']);
    });

    it('SSO accounts can\'t change or verify their email here', async () => {
      const user = await server.createUser();
      const { jar, step } = await signedIn(user, '/account/email');
      await server.gatehouse.db.knex('credentials').where({ account_id: user.id, type: 'password' }).del();
      const page = await follow(jar, `${server.url}/account/email`, server.url);
      assert.deepEqual(messageCodes(page.body), ['email.managed_by_idp']);
      assert.ok(!page.body.includes('name="email"'));
      const post = await postWithCsrf(jar, server, step, '/account/email', { email: 'x@example.net' });
      assert.equal(post.status, 403);
      assert.deepEqual(messageCodes(post.body), ['email.managed_by_idp']);
      const profile = await follow(jar, `${server.url}/account`, server.url);
      assert.equal(testid(profile.body, 'profile/email-status'), 'Managed by your identity provider');
      assert.equal(await server.gatehouse.selfService.emailVerification.needsVerification(user.id), false, 'no prompt at sign-in');
    });

    it('when the mail server fails, nothing changes and the person is told to try again', async () => {
      const user = await server.createUser();
      const { jar, step } = await signedIn(user, '/account/email');
      sink.failing = true;
      const page = await postWithCsrf(jar, server, step, '/account/email', { email: 'unsent@example.net' });
      assert.equal(page.status, 503);
      assert.deepEqual(messageCodes(page.body), ['mail.send_failed']);
      assert.equal((await server.gatehouse.db.knex('email_codes').where({ account_id: user.id })).length, 0);
      assert.equal((await account(user.id)).email, `${user.username}@example.com`);
    });
  });

  describe('change password', () => {
    it('has current and new password fields and "Change Password"; checks the current one and the rules', async () => {
      const user = await server.createUser();
      const { jar, step } = await signedIn(user, '/account/password');
      assert.match(step.body, /<label for="currentPassword">Current password<\/label>/);
      assert.match(step.body, /<label for="newPassword">New password<\/label>/);
      assert.match(step.body, /<button type="submit">Change Password<\/button>/);
      const cases: [Record<string, string>, string][] = [
        [{ currentPassword: 'Wrong-Current-1', newPassword: 'Brand-New-Pass-1' }, 'password.current_incorrect'],
        [{ currentPassword: user.password, newPassword: 'short' }, 'password.length'],
        [{ currentPassword: user.password, newPassword: 'Password1' }, 'password.too_common'],
        [{ currentPassword: user.password, newPassword: user.password }, 'password.reused'],
      ];
      for (const [fields, code] of cases) {
        const page = await postWithCsrf(jar, server, step, '/account/password', fields);
        assert.equal(page.status, 400, code);
        assert.ok(messageCodes(page.body).includes(code), `${code} in ${messageCodes(page.body)}`);
        assert.ok(!page.body.includes(fields.newPassword) && !page.body.includes(fields.currentPassword), 'no password echoed');
      }
    });

    it('changes it, keeps this session, signs out the others, and emails a notice', async () => {
      const user = await server.createUser();
      const other = await signedIn(user);
      const { jar, step } = await signedIn(user, '/account/password');
      const done = await postWithCsrf(jar, server, step, '/account/password', { currentPassword: user.password, newPassword: 'Brand-New-Pass-1' });
      assert.deepEqual(messageCodes(done.body), ['account.password_changed']);
      assert.equal((await follow(jar, `${server.url}/account`, server.url)).status, 200, 'still signed in here');
      const elsewhere = await follow(other.jar, `${server.url}/account`, server.url);
      assert.match(elsewhere.url, /\/interaction\//, 'the other session ended');
      await sink.waitFor((m) => (m.to as { text: string }).text === `${user.username}@example.com` && /password was changed/.test(m.subject ?? ''));
      const stored = await server.gatehouse.accounts.findPasswordCredential(user.username);
      assert.equal(await server.gatehouse.hasher.verify(stored!.hash, 'Brand-New-Pass-1'), true);
    });
  });

  describe('re-authentication before sensitive changes', () => {
    const isReauth = (step: Step) => step.url.includes('/interaction/');

    it('asks for the password again after 30 minutes, then lets the change through', async () => {
      const user = await server.createUser();
      const { jar } = await signedIn(user);
      const fresh = await follow(jar, `${server.url}/account/password`, server.url);
      assert.equal(fresh.status, 200);
      assert.ok(!isReauth(fresh), 'no prompt within 30 minutes');
      clock.advance(31 * 60 * 1000);
      const stale = await follow(jar, `${server.url}/account/password`, server.url);
      assert.ok(isReauth(stale), 'sent to sign in again');
      assert.match(stale.body, /name="password"/);
      const profile = await follow(jar, `${server.url}/account`, server.url);
      assert.equal(new URL(profile.url).pathname, '/account', 'viewing the profile needs no re-authentication');
      const again = await openSignedIn(server, user, { jar, path: '/account/email', clock });
      assert.equal(new URL(again.step.url).pathname, '/account/email');
      assert.match(again.step.body, /name="email"/);
    });

    it('a stale session posting a change is sent to re-authenticate and nothing changes', async () => {
      const user = await server.createUser();
      const { jar, step } = await signedIn(user, '/account/email');
      clock.advance(31 * 60 * 1000);
      const post = await postWithCsrf(jar, server, step, '/account/email', { email: 'late@example.net' });
      assert.ok(isReauth(post));
      assert.equal((await server.gatehouse.db.knex('email_codes').where({ account_id: user.id })).length, 0);
    });
  });

  it('Permissions: organization name and ID, roles with what each permits, and "Logged In Via"', async () => {
    const user = await server.createUser({ company: 'Globex Corp' });
    const { step } = await signedIn(user, '/account/permissions');
    assert.equal(testid(step.body, 'permissions/org-name'), 'Globex Corp');
    assert.match(step.body, new RegExp(`data-testid="permissions/org-id"><code>${user.organizationId}</code>`));
    assert.match(step.body, /data-testid="role\/owner"/);
    assert.match(step.body, /data-testid="role\/admin"/);
    for (const p of ['users:manage', 'idps:manage', 'audit:read', 'apps:manage']) assert.match(step.body, new RegExp(`data-testid="permission/${p}"`));
    assert.equal(testid(step.body, 'permissions/logged-in-via'), 'Gatehouse username and password, with authenticator app');
  });
});
