// What an operator's probes and scrapers see.
import assert from 'node:assert/strict';
import { startGatehouse, type TestServer } from '../../helpers/gatehouse-server.ts';
import { describeFor, storeMatrix } from '../../helpers/stores.ts';
import { listenMetrics } from '../../../server/metrics-server.ts';
import { loadConfig } from '../../../server/config.ts';

const remote = storeMatrix()[1];

/** A connected app asks for a token, as a script would. */
async function clientCredentialsToken(server: TestServer) {
  const app = await server.createClient({ grant_types: ['client_credentials'], response_types: [], redirect_uris: [], scope: 'org' });
  return fetch(`${server.url}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
  });
}

describe('operations: health, readiness, metrics', () => {
  let server: TestServer;
  before(async () => {
    server = await startGatehouse();
  });
  after(() => server?.close());

  it('answers liveness and readiness with a request id', async () => {
    const live = await fetch(`${server.url}/healthz`);
    assert.equal(live.status, 200);
    assert.match(live.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const ready = await fetch(`${server.url}/readyz`);
    assert.deepEqual(await ready.json(), { status: 'ready', checks: { database: 'ok' } });
  });

  it('does not serve /metrics on the issuer\'s port', async () => {
    assert.equal((await fetch(`${server.url}/metrics`)).status, 404);
  });

  it('counts tokens by grant and requests by route template in Prometheus format, on 127.0.0.1 only', async () => {
    const token = await clientCredentialsToken(server);
    assert.equal(token.status, 200);
    const listener = await listenMetrics(server.gatehouse.metrics, { port: 0, host: loadConfig({}).metricsHost });
    after(() => listener.server.close());
    assert.equal(listener.address.address, '127.0.0.1', 'the default METRICS_HOST is loopback');
    const metrics = await (await fetch(`http://127.0.0.1:${listener.address.port}/metrics`)).text();
    assert.match(metrics, /gatehouse_tokens_issued_total\{grant_type="client_credentials"\} 1/);
    assert.match(metrics, /gatehouse_http_request_duration_seconds_count\{method="POST",route="token",status="200"\} 1/);
    assert.ok(!/route="\/interaction\/[A-Za-z0-9_-]{10,}/.test(metrics), 'no raw ids as labels');
    // The JSON endpoints' admission gate (server/api-admission.ts): nothing waits, nothing was refused.
    assert.match(metrics, /^gatehouse_api_requests_waiting 0$/m);
    assert.match(metrics, /^gatehouse_api_requests_refused_total 0$/m);
  });

  it('asks for the bearer token when METRICS_TOKEN is set', async () => {
    const secret = 'metrics-token-of-at-least-32-characters';
    const listener = await listenMetrics(server.gatehouse.metrics, { port: 0, host: '127.0.0.1', token: secret });
    after(() => listener.server.close());
    const base = `http://127.0.0.1:${listener.address.port}/metrics`;
    assert.equal((await fetch(base)).status, 401);
    assert.equal((await fetch(base, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    const ok = await fetch(base, { headers: { authorization: `Bearer ${secret}` } });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /gatehouse_http_request_duration_seconds/);
  });
});

describeFor(remote, 'operations: Redis unreachable', () => {
  let server: TestServer;
  before(async function () {
    this.timeout(20_000);
    // A port nothing listens on: Gatehouse must fail closed, not fall back to another store.
    server = await startGatehouse({ ...remote, redisUrl: 'redis://127.0.0.1:1' });
  });
  after(() => server?.close());

  it('reports not ready and answers token requests with 503', async () => {
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.deepEqual((await ready.json()).checks, { database: 'ok', redis: 'unreachable' });
    const token = await clientCredentialsToken(server);
    assert.equal(token.status, 503);
    assert.equal((await token.json()).error, 'temporarily_unavailable');
  });
});
