// The upstream leg's timeouts: an IdP that accepts the connection but never answers fails the step with
// federation.idp_unavailable after the timeout, at discovery and at the token endpoint alike.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createUpstreamClient, type UpstreamError } from './upstream-client.ts';
import { DEFAULT_CLAIM_MAPPING, type StoredIdentityProvider } from './identity-provider.ts';

describe('upstream client timeouts', () => {
  let server: http.Server;
  let issuer: string;
  let hang: (path: string) => boolean = () => true;

  before(async () => {
    server = http.createServer((req, res) => {
      if (hang(req.url ?? '')) return; // accept, never answer
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        id_token_signing_alg_values_supported: ['RS256'],
      }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const idp = (): StoredIdentityProvider => ({
    id: '00000000-0000-4000-8000-000000000001', organizationId: 'o', name: 'Slow IdP', issuer, clientId: 'c', hasClientSecret: false, clientSecretSealed: null,
    scopes: ['openid'], claimMapping: DEFAULT_CLAIM_MAPPING, tokenEndpointAuthMethod: 'client_secret_basic', showButton: false, provisionUsers: false, enabled: true, createdAt: new Date(), updatedAt: new Date(),
  });
  const client = () => createUpstreamClient({ box: { seal: (s) => s, open: (s) => s }, redirectUri: 'http://gatehouse.test/federation/callback', allowHttpIssuers: true, timeoutSeconds: 1 });

  // No stopwatch: with openid-client's default 30 s timeout these would fail by mocha's 10 s limit instead.
  it('gives up on a discovery document that never comes', async function () {
    this.timeout(10_000);
    hang = () => true;
    await assert.rejects(client().start(idp(), { statePrefix: 'uid' }), (err: UpstreamError) => err.code === 'federation.idp_unavailable');
  });

  it('gives up on a token endpoint that never answers', async function () {
    this.timeout(10_000);
    hang = (path) => path.startsWith('/token');
    const upstream = client();
    const { pending } = await upstream.start(idp(), { statePrefix: 'uid' });
    const query = new URLSearchParams({ code: 'abc', state: pending.state });
    await assert.rejects(upstream.finish(idp(), query, pending), (err: UpstreamError) => err.code === 'federation.idp_unavailable');
  });
});
