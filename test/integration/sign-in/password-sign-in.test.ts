// The sign-in page as a person and an attacker see it: one generic message, equal work for
// unknown users, the flow ends after repeated failures, bad input never becomes a 500.
import assert from 'node:assert/strict';
import { createPasswordHasher, type PasswordHasher } from '../../../accounts/password-hasher.ts';
import { startGatehouse, type TestServer } from '../../helpers/gatehouse-server.ts';
import { authorizationRequest } from '../../helpers/authorization.ts';
import { CookieJar, follow, formAction, postForm, request } from '../../helpers/browserless-user.ts';

/** Counts verifications so tests can see that unknown users cost a full argon2 verify too. */
function countingHasher(inner: PasswordHasher) {
  const calls: (string | undefined)[] = [];
  const hasher: PasswordHasher = { ...inner, verify: (hash, pw) => (calls.push(hash), inner.verify(hash, pw)) };
  return { hasher, calls };
}

describe('password sign-in page', () => {
  const counting = countingHasher(createPasswordHasher());
  let server: TestServer;
  let user: Awaited<ReturnType<TestServer['createUser']>>;
  let client: Awaited<ReturnType<TestServer['createClient']>>;

  before(async () => {
    server = await startGatehouse(undefined, {}, { hasher: counting.hasher });
    user = await server.createUser();
    client = await server.createClient();
  });
  after(() => server?.close());

  async function openSignIn(jar = new CookieJar()) {
    const page = await follow(jar, authorizationRequest(server.url, client).url, server.url);
    assert.equal(page.status, 200);
    return { jar, page, action: formAction(page.body, page.url) };
  }

  it('renders labelled Username and Password fields and a Sign in button', async () => {
    const { page } = await openSignIn();
    assert.match(page.body, /<label for="username">Username<\/label>/);
    assert.match(page.body, /<label for="password">Password<\/label>/);
    assert.match(page.body, /<button type="submit">Sign in<\/button>/);
  });

  it('answers an unknown user and a wrong password identically, after the same hashing work', async () => {
    const wrong = await openSignIn();
    counting.calls.length = 0;
    const a = await postForm(wrong.jar, wrong.action, server.url, { username: user.username, password: 'Wrong-pass-1' });
    const unknown = await openSignIn();
    const b = await postForm(unknown.jar, unknown.action, server.url, { username: 'nobody_here', password: 'Wrong-pass-1' });
    assert.equal(a.status, b.status);
    const message = (html: string) => html.match(/data-testid="message\/([^"]+)">([^<]+)</)?.slice(1);
    assert.deepEqual(message(a.body), ['session.invalid_credentials', 'The username or password is incorrect.']);
    assert.deepEqual(message(b.body), message(a.body));
    assert.equal(counting.calls.length, 2, 'both attempts ran one argon2 verification');
    assert.equal(counting.calls[1], undefined, 'the unknown user was verified against the dummy hash');
  });

  it('keeps the typed username (escaped) and never echoes the password', async () => {
    const { jar, action } = await openSignIn();
    const page = await postForm(jar, action, server.url, { username: '<script>x</script>', password: 'Secret-Echo-9' });
    assert.ok(!page.body.includes('<script>x</script>'));
    assert.match(page.body, /value="&lt;script&gt;x&lt;\/script&gt;"/);
    assert.ok(!page.body.includes('Secret-Echo-9'));
  });

  it('matches usernames case-insensitively', async () => {
    const { jar, action } = await openSignIn();
    const next = await postForm(jar, action, server.url, { username: user.username.toUpperCase(), password: user.password });
    assert.match(next.body, /<h1>Verify it’s you<\/h1>/, 'password accepted: on to MFA');
  });

  it('ends the flow after 5 failures with access_denied to the client', async () => {
    const { jar, action } = await openSignIn();
    let step;
    for (let i = 0; i < 5; i++) step = await postForm(jar, action, server.url, { username: user.username, password: `Wrong-${i}-pass` });
    const back = new URL(step!.location!);
    assert.equal(back.origin + back.pathname, client.redirect_uris[0]);
    assert.equal(back.searchParams.get('error'), 'access_denied');
    const failures = await server.gatehouse.db.knex('audit_events').where({ action: 'session.sign_in', outcome: 'failure' }).count({ n: '*' });
    assert.ok(Number(failures[0].n) >= 5, 'each failure is audited');
  });

  it('upgrades a hash made with old parameters on the next sign-in', async () => {
    const weak = createPasswordHasher({ parameters: { memoryCost: 4096, timeCost: 1, parallelism: 1 } });
    const legacy = await server.createUser();
    const credential = await server.gatehouse.accounts.findPasswordCredential(legacy.username);
    await server.gatehouse.accounts.rehashPassword(credential!.credentialId, await weak.hash(legacy.password));
    const { jar, action } = await openSignIn();
    const next = await postForm(jar, action, server.url, { username: legacy.username, password: legacy.password });
    assert.match(next.body, /Verify it’s you/);
    const upgraded = await server.gatehouse.accounts.findPasswordCredential(legacy.username);
    assert.match(upgraded!.hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });

  it('refuses oversized, malformed and mistyped bodies with 4xx and a clear message', async () => {
    const { jar, action } = await openSignIn();
    const big = await request(jar, action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=' + 'a'.repeat(200_000),
    });
    assert.equal(big.status, 413);
    assert.match(big.body, /too large/);
    const json = await request(jar, action, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":' });
    assert.equal(json.status, 400);
    assert.match(json.body, /not valid JSON/);
    const xml = await request(jar, action, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<a/>' });
    assert.equal(xml.status, 415);
    for (const r of [big, json, xml]) assert.ok(!/\bat [\w.]+ \(/.test(r.body), 'no stack trace');
  });

  it('shows a clear page, not a 500, when the interaction cookie is missing or unknown', async () => {
    const { action } = await openSignIn();
    const stranger = await postForm(new CookieJar(), action, server.url, { username: 'a', password: 'b' });
    assert.equal(stranger.status, 400);
    assert.match(stranger.body, /sign-in page expired/);
    const unknown = await request(new CookieJar(), `${server.url}/interaction/does-not-exist`);
    assert.equal(unknown.status, 400);
  });

  it('sends the security headers on its pages', async () => {
    const response = await fetch((await openSignIn()).page.url, { redirect: 'manual' });
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.ok(!csp.includes('unsafe-inline'));
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.ok(response.headers.get('referrer-policy'));
  });
});
