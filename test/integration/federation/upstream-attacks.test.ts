// Attacks on the upstream leg, each against real oidc-provider IdPs whose answers the test tampers with:
// state mismatch, replayed responses and nonces, mix-up (an ID token or `iss` of the other IdP), an
// expired ID token, a token signed with an unknown key, and an IdP asserting an email address in another
// organization's domain. Every one ends on the sign-in page with a message, signs nobody in, and is audited.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { idTokenClaims, type RpClient } from '../../helpers/authorization.ts';
import { CookieJar, follow, postForm, type Step } from '../../helpers/browserless-user.ts';
import type { TestServer, TestUser } from '../../helpers/gatehouse-server.ts';
import type { UpstreamIdp, UpstreamUser } from '../../helpers/upstream-idp.ts';
import { continueWithDomain, federatedSignIn, openSignIn, registerIdp, setSignInSettings, startFederatedGatehouse, startIdp } from './federation-fixtures.ts';

describe('federation: attacks on the upstream leg', () => {
  let server: TestServer;
  let alpha: UpstreamIdp;
  let beta: UpstreamIdp;
  let client: RpClient;
  let owner: TestUser;
  let domain: string;

  before(async () => {
    server = await startFederatedGatehouse();
    alpha = await startIdp(server, 'alpha');
    beta = await startIdp(server, 'beta');
    client = await server.createClient();
    owner = await server.createUser({ company: 'Acme' });
    domain = `acme-${randomBytes(3).toString('hex')}.test`;
    await registerIdp(server, owner, alpha, { name: 'Alpha IdP', showButton: false });
    await setSignInSettings(server, owner, { domains: [domain] });
    // beta belongs to another organization: its tokens mean nothing for alpha's flows.
    const other = await server.createUser({ company: 'Other' });
    await registerIdp(server, other, beta, { name: 'Beta IdP', showButton: false });
  });
  afterEach(() => {
    alpha.tamperTokenResponse = undefined;
  });
  after(async () => {
    await alpha?.close();
    await beta?.close();
    await server?.close();
  });

  const person = () => alpha.addUser({ login: `p${randomBytes(4).toString('hex')}` });

  /** Up to the IdP's redirect back to Gatehouse, not followed: [callback URL, nonce Gatehouse sent, jar]. */
  async function untilCallback(user: UpstreamUser) {
    const { jar, page } = await openSignIn(server, client);
    const { step: toIdp } = await continueWithDomain(server, jar, page, domain);
    const authorization = new URL(toIdp.location!);
    const login = await follow(jar, toIdp.location!, alpha.issuer);
    const action = new URL(/action="([^"]+)"/.exec(login.body)![1], login.url).href;
    const back = await postForm(jar, action, alpha.issuer, { action: 'login', login: user.login, password: user.password });
    assert.ok(back.location?.startsWith(`${server.url}/federation/callback?`), `the IdP redirects to Gatehouse: ${back.location}`);
    return { callback: new URL(back.location!), nonce: authorization.searchParams.get('nonce')!, state: authorization.searchParams.get('state')!, jar };
  }

  /** The audit's last failed upstream sign-in. */
  async function lastFailure() {
    const row = await server.gatehouse.db.knex('audit_events').where({ action: 'session.sign_in', outcome: 'failure' }).orderBy('id', 'desc').first();
    return row?.details as { method?: string; reason?: string; upstream?: string } | undefined;
  }

  function refusedOnSignInPage(step: Step, code: string) {
    assert.equal(step.status, 200, `a page, not ${step.status} ${step.location ?? ''}`);
    assert.match(step.body, new RegExp(`data-testid="message/${code.replace('.', '\\.')}"`));
    assert.match(step.body, /<h1>Sign in<\/h1>/, 'the way back: the sign-in page');
  }

  const now = () => Math.floor(Date.now() / 1000);
  const idTokenFor = (user: UpstreamUser, nonce: string, extra: Record<string, unknown> = {}) => ({
    iss: alpha.issuer, aud: alpha.clientId, sub: user.sub, nonce, iat: now(), exp: now() + 300, email: user.email, email_verified: true, ...extra,
  });

  it('control: a tampered answer that is still valid (right issuer, key, nonce, expiry) is accepted', async () => {
    const user = person();
    const { callback, nonce, jar } = await untilCallback(user);
    alpha.tamperTokenResponse = (body) => ({ ...body, id_token: alpha.signJwt(idTokenFor(user, nonce)) });
    const step = await follow(jar, callback.href, server.url);
    assert.ok(step.location?.startsWith(client.redirect_uris[0]), `signed in: ${step.status} ${step.body.slice(0, 200)}`);
  });

  it('state mismatch: a response whose state is not this flow’s is refused before the code is redeemed', async () => {
    const { callback, state, jar } = await untilCallback(person());
    const forged = new URL(callback);
    forged.searchParams.set('state', `${state.split('.')[0]}.${randomBytes(32).toString('base64url')}`);
    const before = alpha.tokenRequests;
    const step = await follow(jar, forged.href, server.url);
    refusedOnSignInPage(step, 'federation.state_mismatch');
    assert.equal(alpha.tokenRequests, before, 'the code was never sent to the token endpoint');
    assert.equal((await lastFailure())?.reason, 'federation.state_mismatch');
    // The pending state is gone: even the genuine response can no longer be used.
    const genuine = await follow(jar, callback.href, server.url);
    refusedOnSignInPage(genuine, 'federation.response_unexpected');
  });

  it('a response with no state at all, or a malformed one, is a clear 400 page', async () => {
    const jar = new CookieJar();
    for (const query of ['code=x', 'code=x&state=nonsense']) {
      const step = await follow(jar, `${server.url}/federation/callback?${query}`, server.url);
      assert.equal(step.status, 400);
      assert.match(step.body, /data-testid="error\/federation.state_missing"/);
    }
  });

  it('replay: the same callback (code, state) used a second time is refused', async () => {
    const { callback, jar } = await untilCallback(person());
    const first = await follow(jar, callback.href, server.url);
    assert.ok(first.location?.startsWith(client.redirect_uris[0]));
    const requests = alpha.tokenRequests;
    // A new sign-in of the same browser, then the old response replayed into its flow.
    const { page } = await openSignIn(server, client, { prompt: 'login' }, jar);
    const uid = /\/interaction\/([^/]+)$/.exec(new URL(page.url).pathname)![1];
    const replay = new URL(callback);
    replay.searchParams.set('state', `${uid}.${replay.searchParams.get('state')!.split('.')[1]}`);
    const step = await follow(jar, replay.href, server.url);
    refusedOnSignInPage(step, 'federation.response_unexpected');
    assert.equal(alpha.tokenRequests, requests);
  });

  it('nonce replay: an ID token carrying the nonce of an earlier sign-in is refused', async () => {
    const user = person();
    const earlier = await untilCallback(user);
    const { callback, jar } = await untilCallback(user);
    alpha.tamperTokenResponse = (body) => ({ ...body, id_token: alpha.signJwt(idTokenFor(user, earlier.nonce)) });
    const step = await follow(jar, callback.href, server.url);
    refusedOnSignInPage(step, 'federation.invalid_response');
    assert.match((await lastFailure())?.upstream ?? '', /nonce/i);
  });

  it('mix-up: an ID token issued by the other IdP (its issuer, its key) is refused', async () => {
    const user = person();
    const { callback, nonce, jar } = await untilCallback(user);
    alpha.tamperTokenResponse = (body) => ({
      ...body,
      id_token: beta.signJwt({ iss: beta.issuer, aud: alpha.clientId, sub: user.sub, nonce, iat: now(), exp: now() + 300 }),
    });
    const step = await follow(jar, callback.href, server.url);
    refusedOnSignInPage(step, 'federation.invalid_response');
    assert.match((await lastFailure())?.upstream ?? '', /iss|key/i);
  });

  it('mix-up: an ID token with the other IdP’s issuer but this IdP’s key is refused too (issuer check)', async () => {
    const user = person();
    const { callback, nonce, jar } = await untilCallback(user);
    alpha.tamperTokenResponse = (body) => ({ ...body, id_token: alpha.signJwt(idTokenFor(user, nonce, { iss: beta.issuer })) });
    const step = await follow(jar, callback.href, server.url);
    refusedOnSignInPage(step, 'federation.invalid_response');
    assert.match((await lastFailure())?.upstream ?? '', /iss/i);
  });

  it('mix-up (RFC 9207): a response whose iss names the other IdP is refused before the code is redeemed', async () => {
    const { callback, jar } = await untilCallback(person());
    const mixed = new URL(callback);
    mixed.searchParams.set('iss', beta.issuer);
    const before = alpha.tokenRequests;
    const step = await follow(jar, mixed.href, server.url);
    refusedOnSignInPage(step, 'federation.invalid_response');
    assert.equal(alpha.tokenRequests, before);
    assert.match((await lastFailure())?.upstream ?? '', /iss/i);
  });

  it('an ID token for another audience (the other IdP’s client) is refused', async () => {
    const user = person();
    const { callback, nonce, jar } = await untilCallback(user);
    alpha.tamperTokenResponse = (body) => ({ ...body, id_token: alpha.signJwt(idTokenFor(user, nonce, { aud: beta.clientId })) });
    refusedOnSignInPage(await follow(jar, callback.href, server.url), 'federation.invalid_response');
    assert.match((await lastFailure())?.upstream ?? '', /aud/i);
  });

  it('an expired ID token is refused', async () => {
    const user = person();
    const { callback, nonce, jar } = await untilCallback(user);
    alpha.tamperTokenResponse = (body) => ({ ...body, id_token: alpha.signJwt(idTokenFor(user, nonce, { iat: now() - 7200, exp: now() - 3600 })) });
    refusedOnSignInPage(await follow(jar, callback.href, server.url), 'federation.invalid_response');
    assert.match((await lastFailure())?.upstream ?? '', /exp|timestamp/i);
  });

  it('an ID token signed with a key the IdP never published is refused', async () => {
    const user = person();
    const { callback, nonce, jar } = await untilCallback(user);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    for (const kid of ['unknown-key', 'alpha-key']) {
      // An unknown kid, and (worse) the IdP's real kid on a signature by another key.
      const { callback: cb, nonce: n, jar: j } = kid === 'unknown-key' ? { callback, nonce, jar } : await untilCallback(user);
      alpha.tamperTokenResponse = (body) => ({ ...body, id_token: alpha.signJwt(idTokenFor(user, n), { key: privateKey, kid }) });
      refusedOnSignInPage(await follow(j, cb.href, server.url), 'federation.invalid_response');
      assert.match((await lastFailure())?.upstream ?? '', /key|signature/i);
    }
  });

  it('an ID token with alg none is refused', async () => {
    const user = person();
    const { callback, nonce, jar } = await untilCallback(user);
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(idTokenFor(user, nonce))).toString('base64url')}.`;
    alpha.tamperTokenResponse = (body) => ({ ...body, id_token: unsigned });
    refusedOnSignInPage(await follow(jar, callback.href, server.url), 'federation.invalid_response');
  });

  it('a token response without an ID token (plain OAuth 2.0) is refused', async () => {
    const { callback, jar } = await untilCallback(person());
    alpha.tamperTokenResponse = (body) => {
      const { id_token: _dropped, ...rest } = body;
      return rest;
    };
    refusedOnSignInPage(await follow(jar, callback.href, server.url), 'federation.invalid_response');
  });

  describe('an IdP asserting an email address in another organization’s domain', () => {
    let otherDomain: string;
    before(async () => {
      const other = await server.createUser({ company: 'Victim Corp' });
      otherDomain = `victim-${randomBytes(3).toString('hex')}.test`;
      const victimIdp = await startIdp(server, 'victimidp');
      await registerIdp(server, other, victimIdp, { name: 'Victim IdP' });
      await victimIdp.close();
      await setSignInSettings(server, other, { domains: [otherDomain] });
    });

    for (const where of ['the domain itself', 'a subdomain of it']) {
      it(`is refused and audited (${where}): no account is created or signed in`, async () => {
        const email = where === 'the domain itself' ? `ceo@${otherDomain}` : `ceo@mail.${otherDomain}`;
        const user = alpha.addUser({ login: `x${randomBytes(4).toString('hex')}`, email });
        const accountsBefore = (await server.gatehouse.db.knex('accounts').count<{ count: string }[]>('* as count'))[0].count;
        const { step } = await federatedSignIn(server, client, alpha, user, { domain });
        refusedOnSignInPage(step, 'federation.email_domain_foreign');
        assert.equal((await lastFailure())?.reason, 'federation.email_domain_foreign');
        const accountsAfter = (await server.gatehouse.db.knex('accounts').count<{ count: string }[]>('* as count'))[0].count;
        assert.equal(accountsAfter, accountsBefore);
      });
    }

    it('an address in the IdP’s own organization’s domain, or in an unregistered domain, is fine', async () => {
      for (const email of [`me@${domain}`, `me-${randomBytes(3).toString('hex')}@gmail.example`]) {
        const user = alpha.addUser({ login: `y${randomBytes(4).toString('hex')}`, email });
        const { step, verifier } = await federatedSignIn(server, client, alpha, user, { domain });
        assert.ok(step.location?.startsWith(client.redirect_uris[0]), email);
        assert.equal((await idTokenClaims(server.url, client, step.location!, verifier)).email, email);
      }
    });
  });
});
