// Guessing client secrets at /token: per client IP and per client id, 429 with Retry-After, the
// right secret refused the same way while it lasts; client_secret_basic and client_secret_post alike.
import assert from 'node:assert/strict';
import { CLIENT_AUTH_FAILURES_PER_CLIENT, CLIENT_AUTH_FAILURES_PER_IP } from '../../../accounts/security-constants.ts';
import { startGatehouse, type TestServer } from '../../helpers/gatehouse-server.ts';
import { describeFor, storeMatrix } from '../../helpers/stores.ts';

for (const store of storeMatrix()) {
  describeFor(store, 'client authentication throttle', () => {
    let server: TestServer;

    before(async () => {
      server = await startGatehouse(store, { TRUST_PROXY: 'true' });
    });
    after(() => server?.close());

    const newClient = (method: 'client_secret_basic' | 'client_secret_post') =>
      server.createClient({ grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: method, scope: 'openid' });

    async function token(client: { client_id: string }, secret: string, ip: string, method: 'basic' | 'post') {
      const form = new URLSearchParams({ grant_type: 'client_credentials' });
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip };
      if (method === 'basic') headers.authorization = `Basic ${Buffer.from(`${client.client_id}:${secret}`).toString('base64')}`;
      else form.set('client_id', client.client_id), form.set('client_secret', secret);
      const res = await fetch(`${server.url}/token`, { method: 'POST', headers, body: form });
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, string> };
    }

    it(`refuses an IP after ${CLIENT_AUTH_FAILURES_PER_IP} wrong secrets, the right one too, while other IPs go on`, async () => {
      const client = await newClient('client_secret_basic');
      for (let i = 0; i < CLIENT_AUTH_FAILURES_PER_IP; i++) {
        const wrong = await token(client, `wrong-${i}`, '198.51.100.20', 'basic');
        assert.equal(wrong.status, 401);
        assert.equal(wrong.body.error, 'invalid_client');
      }
      const refused = await token(client, client.client_secret!, '198.51.100.20', 'basic');
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.retryAfter) > 0, `Retry-After ${refused.retryAfter}`);
      assert.equal(refused.body.error, 'temporarily_unavailable');
      const other = await token(client, client.client_secret!, '198.51.100.21', 'basic');
      assert.equal(other.status, 200, 'another IP still gets tokens');
      assert.ok(other.body.access_token);
    });

    it(`refuses a client id after ${CLIENT_AUTH_FAILURES_PER_CLIENT} wrong secrets from many IPs, also when the id is in the body`, async () => {
      const client = await newClient('client_secret_post');
      for (let i = 0; i < CLIENT_AUTH_FAILURES_PER_CLIENT; i++) {
        const wrong = await token(client, `wrong-${i}`, `10.30.${Math.floor(i / 10)}.${(i % 10) + 1}`, 'post');
        assert.equal(wrong.status, 401, `attempt ${i + 1}`);
      }
      const refused = await token(client, client.client_secret!, '192.0.2.99', 'post');
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.retryAfter) > 0);
      const bystander = await newClient('client_secret_post');
      assert.equal((await token(bystander, bystander.client_secret!, '192.0.2.99', 'post')).status, 200, 'other clients are not affected');
    });
  });
}
