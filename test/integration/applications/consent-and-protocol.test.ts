// What relying parties and people observe of applications without a browser: consent remembered
// across sessions (a new scope asks for that scope only), "Apps with access" removing it (grants and
// refresh tokens revoked, audited), CORS only for the calling app's registered web origins, a JSON
// revocation response, and form_post answered with a page whose one script the CSP allows by hash.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startGatehouse, type TestServer, type TestUser } from '../../helpers/gatehouse-server.ts';
import { authorizationRequest, redeemCode } from '../../helpers/authorization.ts';
import { CookieJar, follow, formAction, postForm, signInWithPassword, type Step } from '../../helpers/browserless-user.ts';
import { createTestClock, formActionMatching, openSignedIn } from '../../helpers/self-service.ts';
import { totpCode } from '../../../accounts/totp.ts';

describe('applications: consent, CORS, revocation, form_post', function () {
  this.timeout(60_000);
  const clock = createTestClock();
  let server: TestServer;
  let appOwner: TestUser;
  let person: TestUser;
  let rp: { client_id: string; client_secret: string; redirect_uris: string[] };

  before(async () => {
    server = await startGatehouse(undefined, {}, { clock: clock.now });
    appOwner = await server.createUser({ company: 'Vendor' });
    person = await server.createUser({ company: 'Customer' });
    const created = await server.gatehouse.applications.create({ operator: true }, {
      kind: 'web',
      clientId: 'third-party',
      organizationId: appOwner.organizationId,
      name: 'Third Party Calendar',
      redirectUris: ['http://127.0.0.1:9/callback'],
      webOrigins: ['https://calendar.example.com'],
      scopes: ['openid', 'profile', 'email', 'offline_access'],
    });
    rp = { client_id: 'third-party', client_secret: created.clientSecret!, redirect_uris: ['http://127.0.0.1:9/callback'] };
  });
  after(() => server?.close());

  /** A new browser session: password and a fresh authenticator code. Returns the page after MFA. */
  async function newSession(scope: string) {
    clock.advance(31_000);
    const { url, verifier } = authorizationRequest(server.url, rp, { scope });
    const first = await signInWithPassword(url, person.username, person.password);
    const step = await postForm(first.jar, formAction(first.step.body, first.step.url), server.url, { code: await totpCode(person.totpSecret!, clock.now()) });
    return { jar: first.jar, step, verifier };
  }
  const askedScopes = (page: Step) => [...page.body.matchAll(/data-testid="scope\/([^"]+)"/g)].map((m) => m[1]).sort();
  const allow = (jar: CookieJar, page: Step) => postForm(jar, formActionMatching(page.body, page.url, /\/consent$/), server.url, {});

  let refreshToken: string;

  it('asks a third-party app’s consent once, remembers it in the next session, and asks only for a new scope', async () => {
    const one = await newSession('openid profile');
    assert.deepEqual(askedScopes(one.step), ['openid', 'profile']);
    assert.match(one.step.body, /Third Party Calendar/);
    const back = await allow(one.jar, one.step);
    assert.ok(back.location?.startsWith(rp.redirect_uris[0]), back.location ?? back.body.slice(0, 300));

    const two = await newSession('openid profile email');
    assert.deepEqual(askedScopes(two.step), ['email'], 'only the scope never granted');
    assert.ok((await allow(two.jar, two.step)).location?.startsWith(rp.redirect_uris[0]));

    const three = await newSession('openid profile');
    assert.ok(three.step.location?.startsWith(rp.redirect_uris[0]), 'a new session with known scopes asks nothing');

    // Refresh tokens need prompt=consent (OIDC Core §11); still only the new scope is listed.
    const { url, verifier } = authorizationRequest(server.url, rp, { scope: 'openid offline_access', prompt: 'consent' });
    const page = await follow(three.jar, url, server.url);
    assert.deepEqual(askedScopes(page), ['offline_access']);
    const back4 = await allow(three.jar, page);
    const tokens = await redeemCode(server.url, rp, back4.location!, verifier);
    assert.ok(tokens.body.refresh_token, JSON.stringify(tokens.body));
    refreshToken = tokens.body.refresh_token;
    const consent = await server.gatehouse.db.knex('application_consents').where({ account_id: person.id, client_id: rp.client_id }).first();
    assert.deepEqual(consent.scopes.split(' ').sort(), ['email', 'offline_access', 'openid', 'profile']);
  });

  it('"Apps with access" lists the app with its scopes and removes access: grants and refresh tokens revoked, audited', async () => {
    const { jar, step } = await openSignedIn(server, person, { path: '/account/apps', clock });
    assert.equal(step.status, 200, step.body.slice(0, 300));
    assert.match(step.body, /<h1>Apps with access<\/h1>/);
    assert.match(step.body, /data-testid="app-access\/third-party"/);
    for (const s of ['openid', 'profile', 'email', 'offline_access']) assert.match(step.body, new RegExp(`data-testid="app-access/third-party/scope/${s}"`));
    assert.doesNotMatch(step.body, /<script/);
    assert.ok(await server.gatehouse.provider.RefreshToken.find(refreshToken), 'the refresh token works before');

    const removed = await postForm(jar, formActionMatching(step.body, step.url, /\/account\/apps\/third-party\/remove$/), server.url, { csrf: step.body.match(/name="csrf" value="([^"]+)"/)![1] });
    assert.equal(removed.status, 200);
    assert.match(removed.body, /data-testid="message\/app_access.removed"/);
    assert.doesNotMatch(removed.body, /data-testid="app-access\/third-party"/);
    assert.equal(await server.gatehouse.provider.RefreshToken.find(refreshToken), undefined, 'refresh token revoked');
    const refreshed = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${rp.client_id}:${rp.client_secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    });
    assert.equal(refreshed.status, 400);
    const event = await server.gatehouse.db.knex('audit_events').where({ action: 'consent.revoke', actor: person.id }).first();
    assert.equal(event?.target, rp.client_id);

    const again = await newSession('openid profile');
    assert.deepEqual(askedScopes(again.step), ['openid', 'profile'], 'asked again after removal');
  });

  it('answers CORS on the token, userinfo, revocation and introspection endpoints only for the app’s registered origins', async () => {
    const basic = `Basic ${Buffer.from(`${rp.client_id}:${rp.client_secret}`).toString('base64')}`;
    for (const path of ['/token', '/me', '/token/revocation', '/token/introspection']) {
      const preflight = await fetch(`${server.url}${path}`, { method: 'OPTIONS', headers: { origin: 'https://calendar.example.com', 'access-control-request-method': 'POST' } });
      assert.ok([200, 204].includes(preflight.status), `${path} preflight ${preflight.status}`);
    }
    const body = new URLSearchParams({ token: 'not-a-token' });
    const registered = await fetch(`${server.url}/token/introspection`, { method: 'POST', headers: { origin: 'https://calendar.example.com', authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body });
    assert.equal(registered.headers.get('access-control-allow-origin'), 'https://calendar.example.com');
    const foreign = await fetch(`${server.url}/token/introspection`, { method: 'POST', headers: { origin: 'https://evil.example.com', authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body });
    assert.equal(foreign.headers.get('access-control-allow-origin'), null, 'a foreign origin gets no CORS headers');
    const foreignToken = await fetch(`${server.url}/token`, { method: 'POST', headers: { origin: 'https://evil.example.com', authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=refresh_token&refresh_token=x' });
    assert.equal(foreignToken.headers.get('access-control-allow-origin'), null);
  });

  it('answers /token/revocation with a JSON content type', async () => {
    const res = await fetch(`${server.url}/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${rp.client_id}:${rp.client_secret}`).toString('base64')}` },
      body: new URLSearchParams({ token: 'unknown-token' }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await res.json(), {});
  });

  it('form_post: the page’s one auto-submit script is allowed by its hash (this page only); the Continue button works without it', async () => {
    clock.advance(31_000);
    const first = await server.createUser({ company: 'Form Post' });
    const fp = await server.gatehouse.applications.create({ operator: true }, { kind: 'web', clientId: 'form-post-app', organizationId: first.organizationId, name: 'Form post', redirectUris: ['http://127.0.0.1:9/callback'], firstParty: true });
    const client = { client_id: 'form-post-app', client_secret: fp.clientSecret!, redirect_uris: ['http://127.0.0.1:9/callback'] };
    const { url } = authorizationRequest(server.url, client, { response_mode: 'form_post' });
    const signed = await signInWithPassword(url, first.username, first.password);
    const page = await postForm(signed.jar, formAction(signed.step.body, signed.step.url), server.url, { code: await totpCode(first.totpSecret!, clock.now()) });
    assert.equal(page.status, 200);
    assert.match(page.body, /<form method="post" action="http:\/\/127.0.0.1:9\/callback">/);
    assert.match(page.body, /name="code" value="[^"]+"/);
    const script = page.body.match(/<script>([\s\S]*?)<\/script>/)![1];
    const hash = `'sha256-${createHash('sha256').update(script).digest('base64')}'`;
    // Re-request a form_post error response to read the headers (fetch of the same page).
    const error = await fetch(authorizationRequest(server.url, client, { response_mode: 'form_post', prompt: 'none', max_age: '0' }).url);
    const csp = error.headers.get('content-security-policy') ?? '';
    const errorBody = await error.text();
    assert.match(errorBody, /name="error" value="login_required"/, 'errors are posted too');
    assert.ok(csp.split(';').some((d) => d.trim().startsWith('script-src') && d.includes(hash)), `CSP allows exactly the auto-submit script: ${csp}`);
    assert.match(errorBody, /<noscript>[\s\S]*<button[^>]*type="submit">Continue<\/button>/, 'without JavaScript: a Continue button');
    const other = await fetch(`${server.url}/signup`);
    assert.ok(!(other.headers.get('content-security-policy') ?? '').includes('sha256-'), 'no other page gets the hash');
    void follow;
  });
});
