// OIDC Back-Channel Logout 1.0 end to end: an application registers a back-channel logout URI; a
// real endpoint (a small HTTP server) receives the logout token when the person signs out through
// RP-initiated logout and verifies it with jose against Gatehouse's JWKS (issuer, audience, events,
// sid, no nonce). The person's logout never waits for the app (the endpoint holds its answer until
// after the logout completed), and a failing endpoint is retried.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { startGatehouse, type TestServer, type TestUser } from '../../helpers/gatehouse-server.ts';
import { authorizationRequest, decodeJwtPayload, redeemCode } from '../../helpers/authorization.ts';
import { follow, formAction, postForm, signInWithPassword, type CookieJar } from '../../helpers/browserless-user.ts';
import { createTestClock } from '../../helpers/self-service.ts';
import { totpCode } from '../../../accounts/totp.ts';
import { deliverBackchannelLogout } from '../../../server/backchannel-logout.ts';

type Received = { payload: JWTPayload; header: Record<string, unknown> };

/** The app's back-channel logout endpoint: verifies every logout token; `hold` delays the answer, `fail` answers 500 that many times. */
async function startLogoutEndpoint(issuer: string, audience: string) {
  const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
  const received: Received[] = [];
  const errors: string[] = [];
  const arrivals: (() => void)[] = [];
  let fail = 0;
  let hold: Promise<void> | undefined;
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    if (fail > 0) {
      fail--;
      res.writeHead(500).end();
      return;
    }
    try {
      assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
      const token = new URLSearchParams(body).get('logout_token') ?? '';
      const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer, audience, typ: 'logout+jwt' });
      received.push({ payload, header: protectedHeader as Record<string, unknown> });
    } catch (err) {
      errors.push((err as Error).message);
    }
    arrivals.splice(0).forEach((resolve) => resolve());
    if (hold) await hold;
    res.writeHead(200).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    uri: `http://127.0.0.1:${port}/backchannel`,
    received,
    errors,
    next: () => new Promise<void>((resolve) => arrivals.push(resolve)),
    failNext(n: number) {
      fail = n;
    },
    holdAnswers() {
      let release!: () => void;
      hold = new Promise((resolve) => (release = resolve));
      return () => {
        hold = undefined;
        release();
      };
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('back-channel logout', function () {
  this.timeout(60_000);
  let server: TestServer;
  let owner: TestUser;
  let endpoint: Awaited<ReturnType<typeof startLogoutEndpoint>>;
  let rp: { client_id: string; client_secret: string; redirect_uris: string[] };
  // Each sign-in uses a new authenticator code: the clock moves a step instead of the test waiting.
  const clock = createTestClock();

  before(async () => {
    server = await startGatehouse(undefined, {}, { clock: clock.now });
    owner = await server.createUser({ company: 'Logout Co' });
    const clientId = 'bc-app';
    endpoint = await startLogoutEndpoint(server.url, clientId);
    const created = await server.gatehouse.applications.create({ operator: true }, {
      kind: 'web',
      clientId,
      organizationId: owner.organizationId,
      name: 'Logout listener',
      redirectUris: ['http://127.0.0.1:9/callback'],
      postLogoutRedirectUris: ['http://127.0.0.1:9/logged-out'],
      backchannelLogoutUri: endpoint.uri,
      backchannelLogoutSessionRequired: true,
      firstParty: true,
    });
    rp = { client_id: clientId, client_secret: created.clientSecret!, redirect_uris: ['http://127.0.0.1:9/callback'] };
  });
  after(async () => {
    await endpoint?.close();
    await server?.close();
  });

  async function signInToApp(): Promise<{ jar: CookieJar; idToken: string }> {
    const { url, verifier } = authorizationRequest(server.url, rp);
    clock.advance(31_000);
    const first = await signInWithPassword(url, owner.username, owner.password);
    const { jar } = first;
    const step = await postForm(jar, formAction(first.step.body, first.step.url), server.url, { code: await totpCode(owner.totpSecret!, clock.now()) });
    assert.ok(step.location?.startsWith(rp.redirect_uris[0]), step.location ?? step.body.slice(0, 300));
    const tokens = await redeemCode(server.url, rp, step.location!, verifier);
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    return { jar, idToken: tokens.body.id_token };
  }

  async function rpLogout(jar: CookieJar, idToken: string) {
    const end = new URL('/session/end', server.url);
    end.search = new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: 'http://127.0.0.1:9/logged-out', state: 'bye' }).toString();
    const confirm = await follow(jar, end.href, server.url);
    assert.equal(confirm.status, 200, confirm.body.slice(0, 300));
    const xsrf = confirm.body.match(/name="xsrf" value="([^"]+)"/)![1];
    return follow(jar, `${server.url}/session/end/confirm`, server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
    });
  }

  it('RP-initiated logout sends a signed logout token with sid, verified against the JWKS, without waiting for the app', async () => {
    const { jar, idToken } = await signInToApp();
    const sid = decodeJwtPayload(idToken).sid;
    assert.ok(sid, 'the ID token carries sid (the app asked for it)');
    const release = endpoint.holdAnswers();
    const arrived = endpoint.next();
    // The endpoint does not answer until released, yet the person's logout completes.
    const done = await rpLogout(jar, idToken);
    assert.equal(done.location, 'http://127.0.0.1:9/logged-out?state=bye', 'RP-initiated logout still returns to the app');
    await arrived;
    release();
    assert.deepEqual(endpoint.errors, []);
    const { payload, header } = endpoint.received.at(-1)!;
    assert.equal(header.typ, 'logout+jwt');
    assert.equal(payload.sub, owner.id);
    assert.equal(payload.sid, sid);
    assert.deepEqual(payload.events, { 'http://schemas.openid.net/event/backchannel-logout': {} });
    assert.equal(payload.nonce, undefined);
    assert.ok(payload.jti && payload.iat);
  });

  it('a failing endpoint is retried until it accepts the token', async () => {
    const { jar, idToken } = await signInToApp();
    const before = endpoint.received.length;
    endpoint.failNext(1);
    const arrived = endpoint.next();
    const done = await rpLogout(jar, idToken);
    assert.equal(done.location, 'http://127.0.0.1:9/logged-out?state=bye');
    await arrived; // the first attempt got 500; this is the retry
    assert.equal(endpoint.received.length, before + 1);
    assert.deepEqual(endpoint.errors, []);
  });

  it('deliverBackchannelLogout (for code that ends sessions itself) reports the attempts and skips apps without a URI', async () => {
    endpoint.failNext(1);
    const results = await deliverBackchannelLogout({
      provider: server.gatehouse.provider,
      accountId: owner.id,
      clientIds: [rp.client_id, 'gatehouse-account', 'no-such-app'],
      sid: (clientId) => (clientId === rp.client_id ? 'sid-from-session' : undefined),
    });
    assert.deepEqual(results, [{ clientId: rp.client_id, delivered: true, attempts: 2 }]);
    assert.equal(endpoint.received.at(-1)!.payload.sid, 'sid-from-session');
  });
});
