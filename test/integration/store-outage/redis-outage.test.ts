// Redis stopped, then frozen (SIGSTOP): every surface that needs it answers 503 with Retry-After
// (pages as a Gatehouse page, the API as {code, message}, the token endpoint as an OAuth error),
// never a 500 and never a hang, and service comes back by itself when Redis does. The Redis here is
// the test's own redis-server on a free port; each request must answer well inside mocha's 10 s
// limit (Redis commands time out after 2 s), which is the only time bound asserted.
import assert from 'node:assert/strict';
import { startGatehouse, type TestServer, type TestUser } from '../../helpers/gatehouse-server.ts';
import { CookieJar, follow, formAction, request, type Step } from '../../helpers/browserless-user.ts';
import { authorizationRequest } from '../../helpers/authorization.ts';
import { openSignedIn } from '../../helpers/self-service.ts';
import { appAccessToken, userAccessToken } from '../../helpers/organization-fixtures.ts';
import { startRedisProcess, type RedisProcess } from '../../helpers/redis-process.ts';

describe('store outage: Redis stopped or frozen gives 503, then recovers without a restart', function () {
  this.timeout(60_000);
  let redis: RedisProcess;
  let server: TestServer;
  let user: TestUser;
  let app: { client_id: string; client_secret?: string };

  before(async () => {
    redis = await startRedisProcess();
    server = await startGatehouse({ name: 'embedded PGlite + own Redis', redisUrl: redis.url });
    user = await server.createUser();
    app = await server.createClient({ grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'org' });
  });
  after(async () => {
    redis?.resume();
    await server?.close().catch(() => {});
    await redis?.stop();
  });

  /** What a person and a client hold while Redis is up: a sign-in in progress, a profile session, an API token. */
  async function holdings() {
    const client = await server.createClient();
    const signInJar = new CookieJar();
    const page = await follow(signInJar, authorizationRequest(server.url, client).url, server.url);
    // Fresh people each time: one authenticator code signs in once per 30 s step.
    const token = await userAccessToken(server, await server.createUser());
    const profile = await openSignedIn(server, await server.createUser());
    assert.equal(profile.step.status, 200, 'signed in to the profile');
    return { signInJar, signInAction: formAction(page.body, page.url), token, profileJar: profile.jar };
  }

  function assertUnavailablePage(step: Step, what: string) {
    assert.equal(step.status, 503, `${what}: ${step.status} ${step.body.slice(0, 200)}`);
    assert.match(step.body, /data-testid="error\/store\.unavailable"/, `${what} is a Gatehouse page that says what happened`);
  }

  async function assertEverySurfaceUnavailable(held: Awaited<ReturnType<typeof holdings>>) {
    const signIn = await fetch(held.signInAction, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: held.signInJar.header(), 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ username: user.username, password: user.password }),
    });
    assert.equal(signIn.headers.get('retry-after'), '5', 'POST /interaction/* says when to retry');
    assertUnavailablePage({ status: signIn.status, url: held.signInAction, body: await signIn.text() }, 'POST /interaction/*');

    const account = await fetch(`${server.url}/account`, { redirect: 'manual', headers: { cookie: held.profileJar.header(), accept: 'text/html' } });
    assert.ok(account.headers.get('retry-after'), 'GET /account says when to retry');
    assertUnavailablePage({ status: account.status, url: '/account', body: await account.text() }, 'GET /account');

    const users = await fetch(`${server.url}/api/v1/users`, { headers: { authorization: `Bearer ${held.token}` } });
    assert.equal(users.status, 503, 'GET /api/v1/users');
    assert.ok(users.headers.get('retry-after'));
    const body = (await users.json()) as { code: string; message: string };
    assert.equal(body.code, 'store.unavailable');
    assert.ok(body.message.length > 10);

    const token = await appAccessToken(server, app.client_id, app.client_secret!);
    assert.equal(token.status, 503, `POST /token: ${JSON.stringify(token.body)}`);
    assert.equal(token.body.error, 'temporarily_unavailable');
  }

  /** Polls readiness (not a timing assertion: it waits for ioredis to reconnect). */
  async function untilReady() {
    for (let i = 0; i < 200; i++) {
      if ((await fetch(`${server.url}/readyz`)).status === 200) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('Gatehouse did not see Redis again');
  }

  it('stopped: 503 on the sign-in form, the profile, the API and /token', async function () {
    this.timeout(30_000);
    const held = await holdings();
    await redis.stop();
    await assertEverySurfaceUnavailable(held);
  });

  it('started again: serves again without a restart', async () => {
    await redis.start();
    await untilReady();
    const token = await appAccessToken(server, app.client_id, app.client_secret!);
    assert.equal(token.status, 200);
    const page = await request(new CookieJar(), `${server.url}/account`);
    assert.ok(page.status < 500, `GET /account answers (${page.status})`);
  });

  it('frozen (SIGSTOP): each surface answers 503 once the 2 s command timeout fires, not a hang', async function () {
    this.timeout(40_000);
    const held = await holdings();
    redis.pause();
    try {
      // A frozen Redis never answers, so an answer that arrives while it is still frozen was ended by the
      // command timeout, not by Redis: no stopwatch needed (a hang would run into mocha's limit and fail).
      for (const probe of [
        () => fetch(`${server.url}/api/v1/users`, { headers: { authorization: `Bearer ${held.token}` } }),
        () => appAccessToken(server, app.client_id, app.client_secret!),
      ]) {
        assert.equal((await probe()).status, 503, 'answered 503 while Redis is still frozen');
      }
      await assertEverySurfaceUnavailable(held);
    } finally {
      redis.resume();
    }
    await untilReady();
    // Nothing was lost: the token issued before the freeze still works.
    const users = await fetch(`${server.url}/api/v1/users`, { headers: { authorization: `Bearer ${held.token}` } });
    assert.equal(users.status, 200);
  });
});
