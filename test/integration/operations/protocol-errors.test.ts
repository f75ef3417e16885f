// Protocol errors (not only server_error) are logged at info with the request id, and without the
// secrets the request carried.
import assert from 'node:assert/strict';
import { startGatehouse, type TestServer } from '../../helpers/gatehouse-server.ts';
import { captureLog } from '../../helpers/captured-log.ts';

describe('operations: protocol errors are logged', () => {
  let server: TestServer;
  const log = captureLog('info');
  before(async () => {
    server = await startGatehouse(undefined, {}, { logger: log.logger });
  });
  after(() => server?.close());

  it('logs a refused client authentication at /token with the request id, not the secret', async () => {
    const client = await server.createClient({ grant_types: ['client_credentials'], response_types: [], redirect_uris: [] });
    const secret = 'wrong-secret-that-must-never-be-logged';
    const res = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.client_id}:${secret}`).toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    assert.equal(res.status, 401);
    const requestId = res.headers.get('x-request-id');
    const line = log.lines.find((l) => l.msg === 'protocol error' && l.requestId === requestId);
    assert.ok(line, `a log line for request ${requestId}`);
    assert.equal(line.level, 30, 'info');
    assert.equal(line.error, 'invalid_client');
    assert.equal(line.event, 'grant.error');
    assert.ok(!log.text().includes(secret), 'the secret is not in the log');
    assert.ok(!log.text().includes(Buffer.from(`${client.client_id}:${secret}`).toString('base64')), 'nor the Authorization header');
  });

  it('logs an authorization request error with its code', async () => {
    const res = await fetch(`${server.url}/auth?client_id=nobody&response_type=code&scope=openid`, { redirect: 'manual' });
    const requestId = res.headers.get('x-request-id');
    const line = log.lines.find((l) => l.msg === 'protocol error' && l.requestId === requestId);
    assert.ok(line, 'logged');
    assert.equal(line.event, 'authorization.error');
    assert.equal(line.error, 'invalid_client');
  });
});
