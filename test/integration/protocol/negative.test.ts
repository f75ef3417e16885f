// Requests a well-behaved relying party never sends: each must be refused with the right error.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startGatehouse, type TestServer } from '../../helpers/gatehouse-server.ts';
import { CookieJar, follow, request, signIn } from '../../helpers/browserless-user.ts';

const verifier = () => randomBytes(32).toString('base64url');
const s256 = (v: string) => createHash('sha256').update(v).digest('base64url');

describe('protocol: refused requests', () => {
  let server: TestServer;
  let client: Awaited<ReturnType<TestServer['createClient']>>;
  let other: Awaited<ReturnType<TestServer['createClient']>>;

  before(async () => {
    server = await startGatehouse();
    client = await server.createClient();
    other = await server.createClient();
  });
  after(() => server?.close());

  function authUrl(params: Record<string, string | undefined>) {
    const url = new URL('/auth', server.url);
    const defaults = {
      client_id: client.client_id,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: client.redirect_uris[0],
      state: 'st',
    };
    for (const [k, v] of Object.entries({ ...defaults, ...params })) if (v !== undefined) url.searchParams.set(k, v);
    return url.href;
  }

  /** The error the client sees: on its redirect URI when it is trusted, else on Gatehouse's error page. */
  async function authorizationError(params: Record<string, string | undefined>) {
    const step = await follow(new CookieJar(), authUrl(params), server.url);
    if (step.location) {
      const url = new URL(step.location);
      // Implicit/hybrid requests default to the fragment response mode.
      return url.searchParams.get('error') ?? new URLSearchParams(url.hash.slice(1)).get('error');
    }
    return step.body.match(/data-testid="error\/([a-z_]+)"/)?.[1];
  }

  async function token(auth: { id: string; secret?: string }, body: Record<string, string>) {
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${auth.id}:${auth.secret ?? ''}`).toString('base64')}`,
      },
      body: new URLSearchParams(body),
    });
    return { status: response.status, body: await response.json() };
  }

  async function freshCode(v = verifier()) {
    // A fresh user each time: one TOTP code signs in once.
    const { step } = await signIn(authUrl({ code_challenge: s256(v), code_challenge_method: 'S256' }), await server.createUser());
    return { code: new URL(step.location!).searchParams.get('code')!, verifier: v };
  }

  it('refuses an authorization request without PKCE', async () => {
    assert.equal(await authorizationError({}), 'invalid_request');
  });

  it('refuses plain PKCE', async () => {
    assert.equal(await authorizationError({ code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }), 'invalid_request');
  });

  it('refuses implicit and hybrid response types', async () => {
    const v = verifier();
    for (const type of ['token', 'id_token', 'code id_token', 'code token']) {
      assert.equal(await authorizationError({ response_type: type, code_challenge: s256(v), code_challenge_method: 'S256', nonce: 'n' }), 'unsupported_response_type', type);
    }
  });

  it('refuses a redirect_uri that is not an exact match, without redirecting to it', async () => {
    const v = verifier();
    for (const redirect of [client.redirect_uris[0] + '/x', client.redirect_uris[0] + '?a=1', client.redirect_uris[0].toUpperCase(), 'https://evil.example/cb']) {
      const step = await follow(new CookieJar(), authUrl({ redirect_uri: redirect, code_challenge: s256(v), code_challenge_method: 'S256' }), server.url);
      assert.equal(step.location, undefined, 'never redirects to an unregistered URI');
      assert.match(step.body, /data-testid="error\/invalid_redirect_uri"/, redirect);
    }
  });

  it('refuses an unknown client without redirecting', async () => {
    const step = await follow(new CookieJar(), authUrl({ client_id: 'nobody', code_challenge: s256(verifier()), code_challenge_method: 'S256' }), server.url);
    assert.equal(step.location, undefined);
    assert.match(step.body, /data-testid="error\/invalid_client"/);
  });

  it('refuses a request object signed with alg none', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ client_id: client.client_id, response_type: 'code', scope: 'openid' })).toString('base64url');
    const error = await authorizationError({ request: `${header}.${payload}.`, code_challenge: s256(verifier()), code_challenge_method: 'S256' });
    assert.ok(error === 'request_not_supported' || error === 'invalid_request_object', String(error));
  });

  it('refuses a code with the wrong or missing verifier', async () => {
    const { code } = await freshCode();
    const wrong = await token({ id: client.client_id, secret: client.client_secret }, {
      grant_type: 'authorization_code', code, redirect_uri: client.redirect_uris[0], code_verifier: verifier(),
    });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, 'invalid_grant');
  });

  it('refuses a code used twice, and revokes what the first use issued', async () => {
    const { code, verifier: v } = await freshCode();
    const body = { grant_type: 'authorization_code', code, redirect_uri: client.redirect_uris[0], code_verifier: v };
    const first = await token({ id: client.client_id, secret: client.client_secret }, body);
    assert.equal(first.status, 200);
    const second = await token({ id: client.client_id, secret: client.client_secret }, body);
    assert.equal(second.body.error, 'invalid_grant');
    const introspection = await fetch(`${server.url}/token/introspection`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token: first.body.access_token }),
    });
    assert.equal((await introspection.json()).active, false, 'RFC 6749 §4.1.2: tokens from a reused code are revoked');
  });

  it('introspects its own opaque token, calls an unknown one inactive, and refuses to introspect a JWT (the ID token)', async () => {
    const { code, verifier: v } = await freshCode();
    const issued = await token({ id: client.client_id, secret: client.client_secret }, {
      grant_type: 'authorization_code', code, redirect_uri: client.redirect_uris[0], code_verifier: v,
    });
    const introspect = async (value: string) => {
      const response = await fetch(`${server.url}/token/introspection`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ token: value }),
      });
      return { status: response.status, body: await response.json() };
    };
    assert.equal((await introspect(issued.body.access_token)).body.active, true);
    assert.deepEqual(await introspect(randomBytes(32).toString('base64url')), { status: 200, body: { active: false } });
    const jwt = await introspect(issued.body.id_token);
    assert.equal(jwt.status, 400);
    assert.equal(jwt.body.error, 'unsupported_token_type');
  });

  it('refuses two parallel redemptions of one code: exactly one succeeds', async () => {
    const { code, verifier: v } = await freshCode();
    const body = { grant_type: 'authorization_code', code, redirect_uri: client.redirect_uris[0], code_verifier: v };
    const results = await Promise.all([1, 2, 3].map(() => token({ id: client.client_id, secret: client.client_secret }, body)));
    assert.equal(results.filter((r) => r.status === 200).length, 1);
  });

  it('refuses a code issued to another client', async () => {
    const { code, verifier: v } = await freshCode();
    const stolen = await token({ id: other.client_id, secret: other.client_secret }, {
      grant_type: 'authorization_code', code, redirect_uri: client.redirect_uris[0], code_verifier: v,
    });
    assert.equal(stolen.body.error, 'invalid_grant');
  });

  it('refuses a wrong client secret and an unknown client at the token endpoint', async () => {
    const wrong = await token({ id: client.client_id, secret: 'not-the-secret' }, { grant_type: 'client_credentials' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error, 'invalid_client');
    const unknown = await token({ id: 'nobody', secret: 'x' }, { grant_type: 'client_credentials' });
    assert.equal(unknown.body.error, 'invalid_client');
  });

  it('refuses client credentials to a client not registered for them', async () => {
    const denied = await token({ id: client.client_id, secret: client.client_secret }, { grant_type: 'client_credentials' });
    // oidc-provider answers invalid_request here (RFC 6749 §5.2 would say unauthorized_client).
    assert.equal(denied.status, 400);
    assert.equal(denied.body.error_description, 'requested grant type is not allowed for this client');
  });

  it('does not answer POST at the authorization endpoint unless configured', async () => {
    const step = await request(new CookieJar(), `${server.url}/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: client.client_id }).toString(),
    });
    assert.equal(step.status, 404);
  });
});
