// Every absolute URL comes from ISSUER: a forged Host or X-Forwarded-Host (with or without TRUST_PROXY)
// must not reach discovery, redirects or the pages that print links.
import assert from 'node:assert/strict';
import http from 'node:http';
import { startGatehouse, type TestServer } from '../../helpers/gatehouse-server.ts';

type Raw = { status: number; headers: http.IncomingHttpHeaders; body: string };

/** One request with exactly these headers (fetch would overwrite Host). `path` may be absolute-form. */
function raw(base: string, path: string, headers: Record<string, string>, method = 'GET'): Promise<Raw> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path, method, headers, setHost: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const FORGED: { name: string; headers: Record<string, string> }[] = [
  { name: 'Host: evil.test', headers: { host: 'evil.test' } },
  { name: 'X-Forwarded-Host: evil.test', headers: { 'x-forwarded-host': 'evil.test', 'x-forwarded-proto': 'https' } },
  { name: 'Forwarded: host=evil.test', headers: { forwarded: 'host=evil.test;proto=https' } },
];

for (const trustProxy of ['false', 'true']) {
  describe(`trusted URLs: links come from ISSUER (TRUST_PROXY=${trustProxy})`, () => {
    let server: TestServer;
    let clientId: string;
    before(async () => {
      server = await startGatehouse(undefined, { TRUST_PROXY: trustProxy });
      clientId = (await server.createClient()).client_id;
    });
    after(() => server?.close());

    for (const forged of FORGED) {
      it(`discovery names only the issuer's origin with ${forged.name}`, async () => {
        const host = new URL(server.url).host;
        const res = await raw(server.url, '/.well-known/openid-configuration', { host, ...forged.headers });
        assert.equal(res.status, 200);
        const doc = JSON.parse(res.body) as Record<string, unknown>;
        assert.equal(doc.issuer, server.url);
        const urls = Object.entries(doc).filter(([, v]) => typeof v === 'string' && /^https?:/.test(v));
        assert.ok(urls.length >= 8, `discovery lists its endpoints (${urls.length})`);
        for (const [key, value] of urls) assert.ok(String(value).startsWith(`${server.url}/`) || value === server.url, `${key} = ${value}`);
        assert.doesNotMatch(res.body, /evil\.test/);
      });

      it(`the sign-out page's form posts to the issuer with ${forged.name}`, async () => {
        const res = await raw(server.url, '/session/end', { host: new URL(server.url).host, ...forged.headers });
        assert.equal(res.status, 200);
        assert.match(res.body, new RegExp(`action="${server.url}/session/end/confirm"`));
        assert.doesNotMatch(res.body, /evil\.test/);
      });

      it(`an authorization request redirects within the issuer with ${forged.name}`, async () => {
        const query = new URLSearchParams({ client_id: clientId, response_type: 'code', scope: 'openid', redirect_uri: 'http://127.0.0.1:9/callback', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' });
        const res = await raw(server.url, `/auth?${query}`, { host: new URL(server.url).host, ...forged.headers });
        assert.equal(res.status, 303);
        const location = new URL(res.headers.location!, server.url);
        assert.equal(location.origin, server.url);
        assert.doesNotMatch(res.headers.location!, /evil\.test/);
      });
    }

    it('an absolute-form request target (GET http://evil.test/…) still answers with the issuer', async () => {
      const res = await raw(server.url, 'http://evil.test/.well-known/openid-configuration', { host: 'evil.test' });
      assert.equal(res.status, 200);
      assert.doesNotMatch(res.body, /evil\.test/);
      assert.equal((JSON.parse(res.body) as { jwks_uri: string }).jwks_uri, `${server.url}/jwks`);
    });
  });
}
