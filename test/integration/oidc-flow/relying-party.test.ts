// A real relying party (openid-client v6) signs a person in through Gatehouse and uses every
// endpoint a client uses: discovery → code + PKCE → userinfo → refresh → introspect → revoke → logout.
import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { startGatehouse, type TestServer } from '../../helpers/gatehouse-server.ts';
import { describeFor, storeMatrix } from '../../helpers/stores.ts';
import { CookieJar, follow, signIn } from '../../helpers/browserless-user.ts';

// Also on a real three-master Redis Cluster: every key of the journey (sessions, grants, codes,
// tokens, interactions) goes through the cluster layout of adapters/oidc-redis-adapter.ts.
for (const store of storeMatrix({ redisCluster: true })) {
  describeFor(store, 'relying party journey', () => {
    let server: TestServer;
    let client: Awaited<ReturnType<TestServer['createClient']>>;
    let rp: oidc.Configuration;

    before(async () => {
      server = await startGatehouse(store);
      client = await server.createClient({ client_name: 'Payroll' });
      rp = await oidc.discovery(new URL(server.url), client.client_id, client.client_secret, undefined, {
        execute: [oidc.allowInsecureRequests],
      });
    });
    after(() => server?.close());

    async function authorize(extra: Record<string, string> = {}) {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(rp, {
        redirect_uri: client.redirect_uris[0],
        scope: 'openid profile email org',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        ...extra,
      });
      return { url, verifier, state, nonce };
    }

    it('advertises the code flow only, S256 only, and RFC 9207 iss', () => {
      const meta = rp.serverMetadata();
      assert.deepEqual(meta.response_types_supported, ['code']);
      assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
      assert.equal(meta.authorization_response_iss_parameter_supported, true);
      for (const [key, values] of Object.entries(meta)) {
        if (key.endsWith('_alg_values_supported')) assert.ok(!(values as string[]).includes('none'), `${key} has no none`);
      }
      assert.ok(meta.grant_types_supported?.includes('client_credentials'));
    });

    it('publishes an RS256 and an ES256 signing key', async () => {
      const jwks = await (await fetch(`${server.url}/jwks`)).json();
      const algs = jwks.keys.map((k: { alg: string }) => k.alg).sort();
      assert.deepEqual(algs, ['ES256', 'RS256']);
      assert.ok(jwks.keys.every((k: Record<string, unknown>) => k.d === undefined), 'no private parts published');
    });

    it('signs in with password + authenticator app, then refreshes, introspects, revokes and logs out', async () => {
      const user = await server.createUser({ company: 'Initech' });
      const { url, verifier, state, nonce } = await authorize();
      const { step, jar } = await signIn(url.href, user);
      assert.equal(step.status, 303);
      assert.ok(step.location?.startsWith(client.redirect_uris[0]), `redirected to the RP, got ${step.location}`);
      const callback = new URL(step.location!);
      assert.equal(callback.searchParams.get('iss'), server.url, 'RFC 9207 iss in the response');

      const tokens = await oidc.authorizationCodeGrant(rp, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims()!;
      assert.equal(claims.sub, user.id);
      assert.deepEqual(claims.amr, ['pwd', 'mfa', 'otp']);
      assert.equal(claims.acr, 'urn:gatehouse:loa:2');
      assert.equal(claims.email_verified, true, 'scope claims are in the ID token too');
      assert.equal(claims.preferred_username, user.username);
      assert.ok(tokens.refresh_token, 'refresh token issued');
      assert.equal(tokens.expires_in, 600);

      const info = await oidc.fetchUserInfo(rp, tokens.access_token, user.id);
      assert.equal(info.preferred_username, user.username);
      assert.equal(info.email, `${user.username}@example.com`);
      assert.equal(info.email_verified, true);
      assert.deepEqual(info.org, { id: user.organizationId, name: 'Initech' });

      // Rotation: each refresh returns a new refresh token.
      const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
      assert.ok(refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token);

      const live = await oidc.tokenIntrospection(rp, refreshed.access_token);
      assert.equal(live.active, true);
      assert.equal(live.sub, user.id);

      await oidc.tokenRevocation(rp, refreshed.access_token);
      assert.equal((await oidc.tokenIntrospection(rp, refreshed.access_token)).active, false);

      const audit = await server.gatehouse.db.knex('audit_events').whereIn('action', ['session.sign_in', 'token.revoke']).select('action', 'outcome', 'actor');
      assert.ok(audit.some((e) => e.action === 'session.sign_in' && e.outcome === 'success' && e.actor === user.id));
      assert.ok(audit.some((e) => e.action === 'token.revoke' && e.actor === client.client_id));

      // RP-initiated logout: confirm page, then the post-logout redirect with state.
      const endSession = oidc.buildEndSessionUrl(rp, {
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: 'http://127.0.0.1:9/logged-out',
        state: 'bye',
      });
      const confirm = await follow(jar, endSession.href, server.url);
      assert.equal(confirm.status, 200);
      assert.match(confirm.body, /Sign out/);
      const xsrf = confirm.body.match(/name="xsrf" value="([^"]+)"/)![1];
      const done = await follow(jar, `${server.url}/session/end/confirm`, server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
      });
      assert.equal(done.location, 'http://127.0.0.1:9/logged-out?state=bye');

      // The session is gone: a new authorization shows the sign-in page again.
      const again = await follow(jar, (await authorize()).url.href, server.url);
      assert.equal(again.status, 200);
      assert.match(again.body, /<h1>Sign in<\/h1>/);
      // The provider announces the logout as an event; its audit write lands just after the redirect.
      let logout: { actor?: string } | undefined;
      for (let tries = 0; tries < 100 && !logout; tries++) {
        logout = await server.gatehouse.db.knex('audit_events').where({ action: 'session.logout' }).first();
        if (!logout) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(logout?.actor, user.id);
    });

    it('rejects a rotated refresh token and revokes the whole grant', async () => {
      const user = await server.createUser();
      const { url, verifier, state, nonce } = await authorize();
      const { step } = await signIn(url.href, user);
      const tokens = await oidc.authorizationCodeGrant(rp, new URL(step.location!), {
        pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce,
      });
      const first = tokens.refresh_token!;
      const second = await oidc.refreshTokenGrant(rp, first);
      await assert.rejects(oidc.refreshTokenGrant(rp, first), (err: oidc.ResponseBodyError) => err.error === 'invalid_grant');
      // Reuse detection revoked the grant: the newer refresh token and access token die too.
      await assert.rejects(oidc.refreshTokenGrant(rp, second.refresh_token!), (err: oidc.ResponseBodyError) => err.error === 'invalid_grant');
      assert.equal((await oidc.tokenIntrospection(rp, second.access_token)).active, false);
    });

    it('issues client-credentials tokens to a connected app', async () => {
      const app = await server.createClient({
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'org',
        first_party: false,
      });
      const m2m = await oidc.discovery(new URL(server.url), app.client_id, app.client_secret, undefined, {
        execute: [oidc.allowInsecureRequests],
      });
      const token = await oidc.clientCredentialsGrant(m2m, { scope: 'org' });
      assert.equal(token.token_type.toLowerCase(), 'bearer');
      assert.equal(token.scope, 'org');
      const introspected = await oidc.tokenIntrospection(m2m, token.access_token);
      assert.equal(introspected.active, true);
      assert.equal(introspected.client_id, app.client_id);
    });

    it('shows a consent page to third-party clients, and Cancel returns access_denied', async () => {
      const third = await server.createClient({ first_party: false, client_name: 'Partner <b>App</b>' });
      const partner = await oidc.discovery(new URL(server.url), third.client_id, third.client_secret, undefined, {
        execute: [oidc.allowInsecureRequests],
      });
      const verifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(partner, {
        redirect_uri: third.redirect_uris[0],
        scope: 'openid email',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: 'abc',
      });
      const jar = new CookieJar();
      const { step } = await signIn(url.href, await server.createUser(), jar);
      assert.equal(step.status, 200);
      assert.match(step.body, /Allow access/);
      assert.match(step.body, /Partner &lt;b&gt;App&lt;\/b&gt;/, 'client name escaped');
      assert.match(step.body, /data-testid="scope\/email"/);
      const abort = step.body.match(/action="(\/interaction\/[^"]+\/abort)"/)![1];
      const denied = await follow(jar, server.url + abort, server.url, { method: 'POST' });
      const back = new URL(denied.location!);
      assert.equal(back.searchParams.get('error'), 'access_denied');
      assert.equal(back.searchParams.get('state'), 'abc');
    });
  });
}
