// MFA by emailed one-time code, as a person without JavaScript sees it: set up from the profile
// beside another method, a code per challenge (not per page view), single use, "Send a new code"
// with a limit, wrong codes counted, never the only method, and "Logged In Via: … email code".
import assert from 'node:assert/strict';
import { message } from '../../../../accounts/messages/catalog.ts';
import { startGatehouse, type TestServer, type TestUser } from '../../../helpers/gatehouse-server.ts';
import { CookieJar, follow, formAction, postForm, type Step } from '../../../helpers/browserless-user.ts';
import { authorizationRequest, idTokenClaims, startPasswordLogin } from '../../../helpers/authorization.ts';
import { codeIn, startSmtpSink, type SmtpSink } from '../../../helpers/smtp-sink.ts';
import { messageCodes } from '../../../helpers/self-service.ts';
import { totpCode } from '../../../../accounts/totp.ts';

describe('MFA: email one-time code', () => {
  let sink: SmtpSink;
  let server: TestServer;
  let client: Awaited<ReturnType<TestServer['createClient']>>;

  before(async () => {
    sink = await startSmtpSink();
    server = await startGatehouse(undefined, { SMTP_URL: sink.url });
    client = await server.createClient();
  });
  after(async () => {
    await server?.close();
    await sink?.close();
  });

  const heading = (html: string) => html.match(/<h1>([^<]+)<\/h1>/)?.[1];
  const csrf = (html: string) => html.match(/name="csrf" value="([^"]+)"/)![1];
  const CODE_SUBJECT = message('email.otp.subject', { code: 'NNNNNN' });
  const codesSentTo = (user: TestUser) => sink.to(`${user.username}@example.com`).filter((m) => m.subject?.replace(/\d{6}/, 'NNNNNN') === CODE_SUBJECT);
  const lastCode = (user: TestUser) => codeIn(codesSentTo(user).at(-1)!);
  /** Waits for the user's n-th code mail; fails naming what arrived instead (a code too many is a bug here). */
  async function codesArrive(user: TestUser, n: number) {
    await sink.waitFor(() => codesSentTo(user).length >= n).catch(() => undefined);
    assert.deepEqual(codesSentTo(user).map((m) => m.subject?.replace(/\d{6}/, 'NNNNNN')), Array(n).fill(CODE_SUBJECT), `mail to ${user.username}: ${sink.to(`${user.username}@example.com`).map((m) => m.subject).join(' | ')}`);
  }
  const actionOf = (page: Step, pattern: RegExp) => new URL(page.body.match(pattern)![1], server.url).href;

  /** A user with an authenticator app (the default method) and an email code beside it. */
  async function userWithEmailCode() {
    const user = await server.createUser();
    const method = await server.gatehouse.mfa.addMethod(user.id, 'email_otp', 'Email code', { email: `${user.username}@example.com` });
    // Added later than the app, so the app stays the default method (the same millisecond would leave it to the ids).
    await server.gatehouse.db.knex('credentials').where({ id: method.id }).update({ created_at: new Date(Date.now() + 60_000) });
    return user;
  }

  /** Password, then "Try another method" → Email code: the page after the switch. */
  async function switchToEmailCode(user: TestUser, jar?: CookieJar, start?: Step) {
    const login = start ? { jar: jar!, step: start, verifier: '' } : await startPasswordLogin(server.url, client, user);
    assert.equal(heading(login.step.body), 'Verify it’s you');
    const page = await postForm(login.jar, actionOf(login.step, /action="(\/interaction\/[^"]+\/mfa\/switch)"/), server.url, { kind: 'email_otp' });
    assert.match(page.body, /data-testid="email-otp\/sent-to"/, `a code was sent (${messageCodes(page.body).join(', ')})`);
    return { ...login, page };
  }

  it('is set up from the profile beside an app: the page says it can’t be the only method, one code per set-up', async () => {
    const user = await server.createUser();
    const jar = new CookieJar();
    let page = await follow(jar, `${server.url}/account/mfa`, server.url);
    page = await postForm(jar, formAction(page.body, page.url), server.url, { username: user.username, password: user.password });
    page = await postForm(jar, formAction(page.body, page.url), server.url, { code: await totpCode(user.totpSecret!) });
    assert.equal(heading(page.body), 'Configure multi-factor authentication (MFA)');
    assert.match(page.body, /href="\/account\/mfa\/add\/email_otp"/, 'offered beside the app');

    const setup = await follow(jar, `${server.url}/account/mfa/add/email_otp`, server.url);
    assert.match(setup.body, /data-testid="email-otp\/not-alone"[^>]*>An emailed code goes to the same inbox as a password reset, so it can’t be your only verification method/);
    await sink.waitFor((m) => m.to !== undefined && codesSentTo(user).length === 1);
    await follow(jar, `${server.url}/account/mfa/add/email_otp`, server.url);
    assert.equal(codesSentTo(user).length, 1, 'a reload sends no second code');

    const wrong = await postForm(jar, `${server.url}/account/mfa/add/email_otp`, server.url, { csrf: csrf(setup.body), name: 'My inbox', code: lastCode(user) === '000000' ? '111111' : '000000' });
    assert.deepEqual(messageCodes(wrong.body), ['code.invalid']);
    const done = await postForm(jar, `${server.url}/account/mfa/add/email_otp`, server.url, { csrf: csrf(setup.body), name: 'My inbox', code: lastCode(user) });
    assert.deepEqual(messageCodes(done.body), ['mfa.added']);
    const methods = await server.gatehouse.mfa.listMethods(user.id);
    assert.deepEqual(methods.map((m) => [m.kind, m.name]), [['totp', 'Test app'], ['email_otp', 'My inbox']]);
    const list = await follow(jar, `${server.url}/account/mfa`, server.url);
    assert.match(list.body, /Email code/);
  });

  it('signs in with the code emailed for this challenge: a reload sends nothing, the code works once, amr says otp', async () => {
    const user = await userWithEmailCode();
    const { jar, page, verifier } = await switchToEmailCode(user);
    assert.match(page.body, /Confirm it’s you: <strong>Email code<\/strong>/);
    const norwegian = await follow(jar, `${page.url}`, server.url, { headers: { 'accept-language': 'nb' } });
    assert.match(norwegian.body, /Koden fra e-posten/, 'in Norwegian Bokmål when asked');
    assert.match(page.body, new RegExp(`data-testid="email-otp/sent-to">We sent a 6-digit code to ${user.username[0]}•••@example.com\\. It expires in 10 minutes\\.`));
    await codesArrive(user, 1);
    const again = await follow(jar, page.url, server.url);
    assert.equal(heading(again.body), 'Verify it’s you');
    assert.equal(codesSentTo(user).length, 1, 'one code per challenge, not per page view');

    const code = lastCode(user);
    const wrong = await postForm(jar, formAction(again.body, again.url), server.url, { code: code === '000000' ? '111111' : '000000' });
    assert.deepEqual(messageCodes(wrong.body), ['code.invalid']);
    await follow(jar, page.url, server.url);
    assert.equal(codesSentTo(user).length, 1, 'two reloads, another language and a wrong code: still the one email');
    const done = await postForm(jar, formAction(wrong.body, wrong.url), server.url, { code });
    assert.ok(done.location?.startsWith(client.redirect_uris[0]), `back to the app, not ${done.location}`);
    const claims = await idTokenClaims(server.url, client, done.location!, verifier);
    assert.deepEqual(claims.amr, ['pwd', 'mfa', 'otp']);

    const next = await switchToEmailCode(user);
    await sink.waitFor(() => codesSentTo(user).length === 2);
    const replay = await postForm(next.jar, formAction(next.page.body, next.page.url), server.url, { code });
    assert.deepEqual(messageCodes(replay.body), ['code.invalid'], 'the used code does not work again');
  });

  it('"Send a new code" replaces the code, three times per sign-in, then says no more', async () => {
    const user = await userWithEmailCode();
    const { jar, page } = await switchToEmailCode(user);
    await codesArrive(user, 1);
    const first = lastCode(user);
    let current = page;
    for (let i = 1; i <= 3; i++) {
      current = await postForm(jar, actionOf(current, /action="(\/interaction\/[^"]+\/mfa\/email_otp\/resend)"/), server.url, {});
      assert.deepEqual(messageCodes(current.body), ['mfa.email_otp_sent']);
      await sink.waitFor(() => codesSentTo(user).length === i + 1);
    }
    const refused = await postForm(jar, actionOf(current, /action="(\/interaction\/[^"]+\/mfa\/email_otp\/resend)"/), server.url, {});
    assert.deepEqual(messageCodes(refused.body), ['mfa.email_otp_resend_limit']);
    assert.equal(codesSentTo(user).length, 4);

    const stale = await postForm(jar, formAction(refused.body, refused.url), server.url, { code: first });
    assert.deepEqual(messageCodes(stale.body), ['code.invalid'], 'a replaced code stops working');
    const done = await postForm(jar, formAction(stale.body, stale.url), server.url, { code: lastCode(user) });
    assert.ok(done.location?.startsWith(client.redirect_uris[0]));
  });

  it('counts wrong codes toward the flow’s failure limit: the fifth ends the sign-in', async () => {
    const user = await userWithEmailCode();
    const { jar, page } = await switchToEmailCode(user);
    await codesArrive(user, 1);
    const wrongCode = lastCode(user) === '000000' ? '111111' : '000000';
    let step = page;
    for (let i = 1; i < 5; i++) {
      step = await postForm(jar, formAction(step.body, step.url), server.url, { code: wrongCode });
      assert.equal(heading(step.body), 'Verify it’s you', `attempt ${i}`);
    }
    const ended = await postForm(jar, formAction(step.body, step.url), server.url, { code: wrongCode });
    const back = new URL(ended.location!);
    assert.equal(back.searchParams.get('error'), 'access_denied');
  });

  it('is never the only method: not offered to an account setting up its first one, and the other method can’t be removed', async () => {
    const fresh = await server.createUser({ mfa: false });
    const { step: chooser } = await startPasswordLogin(server.url, client, fresh);
    assert.equal(heading(chooser.body), 'Set up multi-factor authentication');
    assert.match(chooser.body, /value="totp"/);
    assert.doesNotMatch(chooser.body, /email_otp/);

    const user = await userWithEmailCode();
    const jar = new CookieJar();
    let page = await follow(jar, `${server.url}/account/mfa`, server.url);
    page = await postForm(jar, formAction(page.body, page.url), server.url, { username: user.username, password: user.password });
    page = await postForm(jar, formAction(page.body, page.url), server.url, { code: await totpCode(user.totpSecret!) });
    assert.equal(heading(page.body), 'Configure multi-factor authentication (MFA)', `${page.url} ${messageCodes(page.body).join(', ')}`);
    const listed = await server.gatehouse.mfa.listMethods(user.id);
    const app = listed.find((m) => m.kind === 'totp')!;
    const email = listed.find((m) => m.kind === 'email_otp')!;
    const refused = await postForm(jar, `${server.url}/account/mfa/${app.id}/remove`, server.url, { csrf: csrf(page.body), confirm: 'yes' });
    assert.equal(refused.status, 409);
    assert.deepEqual(messageCodes(refused.body), ['mfa.inbox_not_only_method']);
    const removed = await postForm(jar, `${server.url}/account/mfa/${email.id}/remove`, server.url, { csrf: csrf(page.body), confirm: 'yes' });
    assert.deepEqual(messageCodes(removed.body), ['mfa.removed']);
    assert.deepEqual((await server.gatehouse.mfa.listMethods(user.id)).map((m) => m.kind), ['totp']);
  });

  it('says "email code" under Logged In Via, from the method, not from amr', async () => {
    const user = await userWithEmailCode();
    const jar = new CookieJar();
    const signIn = await follow(jar, `${server.url}/account/permissions`, server.url);
    const mfa = await postForm(jar, formAction(signIn.body, signIn.url), server.url, { username: user.username, password: user.password });
    const { page } = await switchToEmailCode(user, jar, mfa);
    await codesArrive(user, 1);
    const landed = await postForm(jar, formAction(page.body, page.url), server.url, { code: lastCode(user) });
    assert.equal(heading(landed.body), 'Permissions');
    assert.match(landed.body, /Gatehouse username and password, with email code/);
  });

  it('offers nothing by email when the address is not verified', async () => {
    const user = await server.createUser({ emailVerified: false });
    await server.gatehouse.mfa.addMethod(user.id, 'email_otp', 'Email code', { email: `${user.username}@example.com` });
    const { url } = authorizationRequest(server.url, client);
    const jar = new CookieJar();
    const signIn = await follow(jar, url, server.url);
    const mfa = await postForm(jar, formAction(signIn.body, signIn.url), server.url, { username: user.username, password: user.password });
    assert.equal(heading(mfa.body), 'Verify it’s you');
    assert.doesNotMatch(mfa.body, /mfa\/switch\/email_otp/);
    assert.equal(codesSentTo(user).length, 0);
  });
});
