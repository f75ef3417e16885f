// At LOG_LEVEL=info every request leaves one JSON line an operator can search by request id or
// client: method, route template, status, duration, request id, client id when known — and never
// a secret, code, token or password, even for the requests that carry them.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { startGatehouse, type TestServer, type TestUser } from '../../helpers/gatehouse-server.ts';
import { createLogger } from '../../../server/logger.ts';
import { authorizationRequest } from '../../helpers/authorization.ts';
import { signIn } from '../../helpers/browserless-user.ts';
import http from 'node:http';
import { API_REQUESTS_IN_FLIGHT } from '../../../server/api-admission.ts';
import { clientCredentialsRequest, send } from '../../../bench/load.ts';

describe('operations: one log line per request at info', function () {
  this.timeout(60_000);
  const lines: string[] = [];
  let server: TestServer;
  let user: TestUser;

  before(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    server = await startGatehouse(undefined, {}, { logger: createLogger('info', sink) });
    user = await server.createUser();
  });
  after(() => server?.close());

  const requestLines = () => lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');

  it('logs the token request with its fields and without the code, secret, verifier, tokens or password', async () => {
    const client = await server.createClient();
    const { url, verifier } = authorizationRequest(server.url, client);
    const { step } = await signIn(url, user);
    const code = new URL(step.location!).searchParams.get('code')!;
    assert.ok(code, `redirected with a code: ${step.location}`);
    lines.length = 0;

    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: client.redirect_uris[0], code_verifier: verifier }),
    });
    const tokens = (await response.json()) as Record<string, string>;
    assert.equal(response.status, 200);

    const logged = requestLines();
    assert.equal(logged.length, 1, `one line for one request: ${lines.join('\n')}`);
    const [line] = logged;
    assert.equal(line.level, 30, 'info');
    assert.equal(line.method, 'POST');
    assert.equal(line.route, 'token');
    assert.equal(line.status, 200);
    assert.equal(line.requestId, response.headers.get('x-request-id'));
    assert.equal(line.clientId, client.client_id);
    assert.equal(typeof line.ms, 'number');

    const raw = lines.join('\n');
    for (const [name, secret] of Object.entries({ code, verifier, client_secret: client.client_secret!, access_token: tokens.access_token, refresh_token: tokens.refresh_token, id_token: tokens.id_token })) {
      assert.ok(secret && !raw.includes(secret), `${name} is not in the log`);
    }
  });

  it('answers a burst of more token requests than it works on at once, one line each, waits included', async () => {
    const client = await server.createClient({ grant_types: ['client_credentials'], redirect_uris: [], response_types: [] });
    const burst = API_REQUESTS_IN_FLIGHT * 4;
    lines.length = 0;
    // Each on its own connection, all at once: more than API_REQUESTS_IN_FLIGHT reach the server together.
    const agent = new http.Agent({ keepAlive: false, maxSockets: burst });
    const request = clientCredentialsRequest(client.client_id, client.client_secret!);
    const statuses = await Promise.all(Array.from({ length: burst }, async () => (await send(agent, new URL(server.url), request)).status));
    agent.destroy();
    assert.deepEqual(statuses, Array(burst).fill(200));
    const logged = requestLines().filter((l) => l.route === 'token');
    assert.equal(logged.length, burst, 'one line per request');
    // A request that waited for admission says how long; its duration counts from its arrival.
    for (const line of logged.filter((l) => 'queuedMs' in l)) assert.ok(line.queuedMs >= 0 && line.queuedMs <= line.ms, JSON.stringify(line));
  });

  it('logs route templates, never raw paths that carry ids, and no password from a sign-in', async () => {
    lines.length = 0;
    const client = await server.createClient();
    const { url } = authorizationRequest(server.url, client);
    await signIn(url, user);
    const logged = requestLines();
    assert.ok(logged.some((l) => l.method === 'POST' && /^\/interaction\/:uid/.test(l.route)), JSON.stringify(logged.map((l) => l.route)));
    assert.ok(logged.some((l) => l.route === 'authorization' && l.status === 303));
    const raw = lines.join('\n');
    assert.ok(!raw.includes(user.password), 'no password');
    assert.ok(!/\/interaction\/[A-Za-z0-9_-]{10,}/.test(raw), 'no interaction ids from raw paths');
    assert.ok(logged.every((l) => typeof l.requestId === 'string' && typeof l.status === 'number'));
  });
});
