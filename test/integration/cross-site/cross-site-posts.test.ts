// Cross-site requests: every state-changing browser request (interaction forms, profile, admin pages,
// sign-up, forgot, reset, invitations, sign-out confirmation) is refused when Origin or Sec-Fetch-Site
// says another site sent it, with a page that says so; same-origin forms keep working, and the
// protocol endpoints relying parties call cross-origin (/token…) are not affected.
import assert from 'node:assert/strict';
import { startGatehouse, type TestServer, type TestUser } from '../../helpers/gatehouse-server.ts';
import { CookieJar, follow, formAction, postForm, request } from '../../helpers/browserless-user.ts';
import { authorizationRequest } from '../../helpers/authorization.ts';
import { createTestClock, csrfOf, openSignedIn } from '../../helpers/self-service.ts';

const EVIL = 'https://evil.example';
const refused = (body: string) => /data-testid="error\/request\.cross_site"/.test(body);

describe('cross-site requests are refused on every browser form', () => {
  let server: TestServer;
  let user: TestUser;
  const clock = createTestClock();
  before(async () => {
    server = await startGatehouse(undefined, {}, { clock: clock.now });
    user = await server.createUser();
  });
  after(() => server?.close());

  /** Every POST/PUT/PATCH/DELETE route of the mounted routers except the bearer-token API and the device API. */
  function browserRoutes() {
    const routes: { method: string; path: string }[] = [];
    for (const router of server.gatehouse.routers) {
      for (const layer of router.stack) {
        const path = String(layer.path);
        if (path.startsWith('/api/') || path.startsWith('/authenticator/')) continue;
        for (const method of layer.methods) if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) routes.push({ method, path: path.replace(/:[A-Za-z_]+/g, 'x') });
      }
    }
    return routes;
  }

  it('refuses each one with a foreign Origin, and with Sec-Fetch-Site: cross-site', async () => {
    const routes = browserRoutes();
    assert.ok(routes.length > 20, `the routers list their forms (${routes.length})`);
    for (const { method, path } of routes) {
      for (const headers of [{ origin: EVIL }, { origin: 'null' }, { 'sec-fetch-site': 'cross-site' }] as Record<string, string>[]) {
        const res = await request(new CookieJar(), `${server.url}${path}`, {
          method,
          headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
          body: 'a=b',
        });
        assert.equal(res.status, 403, `${method} ${path} with ${JSON.stringify(headers)} → ${res.status}`);
        assert.ok(refused(res.body), `${method} ${path}: the page says the form came from another site`);
      }
    }
  });

  it('refuses a cross-site sign-in form post, and accepts the same form from Gatehouse itself', async () => {
    const client = await server.createClient();
    const jar = new CookieJar();
    const page = await follow(jar, authorizationRequest(server.url, client).url, server.url);
    const action = formAction(page.body, page.url);
    const forged = await request(jar, action, {
      method: 'POST',
      headers: { origin: EVIL, 'sec-fetch-site': 'cross-site', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: user.username, password: user.password }).toString(),
    });
    assert.equal(forged.status, 403);
    assert.ok(refused(forged.body));
    assert.match(forged.body, /sent from another site/);
    const genuine = await request(jar, action, {
      method: 'POST',
      headers: { origin: server.url, 'sec-fetch-site': 'same-origin', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: user.username, password: user.password }).toString(),
    });
    assert.ok(genuine.status === 303 || genuine.status === 200, `same-origin sign-in goes on (${genuine.status})`);
    assert.ok(!refused(genuine.body));
  });

  it('trusts Sec-Fetch-Site: same-origin over "Origin: null" (what a no-referrer page like the reset page makes browsers send)', async () => {
    const res = await request(new CookieJar(), `${server.url}/reset`, {
      method: 'POST',
      headers: { origin: 'null', 'sec-fetch-site': 'same-origin', 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: 'password=x',
    });
    assert.ok(!refused(res.body), 'not refused as cross-site');
    assert.equal(res.status, 410, 'the reset page answers: no link was opened in this browser');
  });

  it('refuses a profile form with a valid CSRF token when another site sends it', async () => {
    const { jar, step } = await openSignedIn(server, user, { clock });
    const csrf = csrfOf(step.body);
    const forged = await request(jar, `${server.url}/account/contact`, {
      method: 'POST',
      headers: { origin: EVIL, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, name: 'Forged Name' }).toString(),
    });
    assert.equal(forged.status, 403);
    assert.ok(refused(forged.body));
    const account = await server.gatehouse.accounts.findById(user.id);
    assert.notEqual(account?.name, 'Forged Name');
  });

  it('refuses the provider\'s own sign-out confirmation from another site', async () => {
    const res = await request(new CookieJar(), `${server.url}/session/end/confirm`, {
      method: 'POST',
      headers: { origin: EVIL, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'xsrf=x&logout=yes',
    });
    assert.equal(res.status, 403);
  });

  it('leaves the protocol endpoints relying parties call cross-origin alone', async () => {
    for (const path of ['/token', '/token/introspection', '/token/revocation', '/request']) {
      const res = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { origin: EVIL, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'client_id=nobody&grant_type=authorization_code&code=x&token=x',
      });
      assert.notEqual(res.status, 403, `${path} is the provider's to answer`);
      const body = await res.json() as { error?: string };
      assert.ok(body.error && body.error !== 'request.cross_site', `${path}: ${JSON.stringify(body)}`);
    }
  });

  it('lets an upstream IdP redirect back cross-site (GET /federation/callback is not a state-changing post)', async () => {
    const res = await request(new CookieJar(), `${server.url}/federation/callback?state=nope&code=x`, { headers: { 'sec-fetch-site': 'cross-site' } });
    assert.notEqual(res.status, 403);
    assert.ok(!refused(res.body));
  });
});
