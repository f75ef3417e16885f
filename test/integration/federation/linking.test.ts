// Profile linking (reference: "Linking Your Anypoint Platform Profiles"): on a first SSO sign-in whose
// verified email matches profiles of the same organization, "Link your Account" → "Link Accounts" → sign
// in as the chosen profile (password + its MFA for a local profile, a round trip through its IdP for an
// SSO profile). Pinned rules: never on an unverified email, same organization only, at most one profile
// per IdP and 25 per set, only when an administrator enabled it, every link/unlink/refusal audited; the
// profile's "Logged In Via" lists and unlinks profiles, and links another IdP's profile.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { totpCode } from '../../../accounts/totp.ts';
import { idTokenClaims, type RpClient } from '../../helpers/authorization.ts';
import { CookieJar, follow, postForm, signIn, type Step } from '../../helpers/browserless-user.ts';
import type { TestServer, TestUser } from '../../helpers/gatehouse-server.ts';
import { addMember } from '../../helpers/organization-fixtures.ts';
import { describeFor, storeMatrix } from '../../helpers/stores.ts';
import { upstreamSignIn, type UpstreamIdp, type UpstreamUser } from '../../helpers/upstream-idp.ts';
import { authorizationRequest } from '../../helpers/authorization.ts';
import { federatedSignIn, registerIdp, setSignInSettings, startFederatedGatehouse, startIdp } from './federation-fixtures.ts';

for (const store of storeMatrix()) describeFor(store, 'federation: linking profiles', () => {
  let server: TestServer;
  let alpha: UpstreamIdp;
  let beta: UpstreamIdp;
  let client: RpClient;

  before(async () => {
    server = await startFederatedGatehouse(store);
    alpha = await startIdp(server, 'alpha');
    beta = await startIdp(server, 'beta');
    client = await server.createClient();
  });
  after(async () => {
    await alpha?.close();
    await beta?.close();
    await server?.close();
  });

  type Org = { owner: TestUser; domain: string; alphaId: string; betaId: string };
  async function organization(options: { linking?: boolean; provision?: boolean } = {}): Promise<Org> {
    const owner = await server.createUser({ company: 'Acme' });
    const domain = `link-${randomBytes(4).toString('hex')}.test`;
    const alphaId = await registerIdp(server, owner, alpha, { name: 'Alpha', showButton: true, provisionUsers: options.provision ?? true });
    const betaId = await registerIdp(server, owner, beta, { name: 'Beta', showButton: true, provisionUsers: options.provision ?? true });
    await setSignInSettings(server, owner, { domains: [domain], allowProfileLinking: options.linking ?? true });
    return { owner, domain, alphaId, betaId };
  }
  const email = () => `pat-${randomBytes(4).toString('hex')}@example.com`;
  const login = () => `u${randomBytes(4).toString('hex')}`;
  const atClient = (step: Step) => step.location?.startsWith(client.redirect_uris[0]) ?? false;
  const uidOf = (step: Step) => /\/interaction\/([^/?]+)/.exec(new URL(step.url).pathname)![1];
  const candidateIds = (html: string) => [...html.matchAll(/name="account" value="([^"]+)"/g)].map((m) => m[1]);
  const audits = (action: string) => server.gatehouse.db.knex('audit_events').where({ action }).orderBy('id', 'desc');

  async function linkPage(org: Org, idp: UpstreamIdp, user: UpstreamUser, jar = new CookieJar()) {
    const { step, verifier } = await federatedSignIn(server, client, idp, user, { button: idp === alpha ? org.alphaId : org.betaId }, { jar });
    return { jar, step, verifier };
  }

  it('links an SSO sign-in to a local profile: "Link Accounts", then its password and TOTP', async () => {
    const org = await organization();
    const address = email();
    const local = await addMember(server, { organizationId: org.owner.organizationId, email: address });
    const person = alpha.addUser({ login: login(), email: address });

    const { jar, step, verifier } = await linkPage(org, alpha, person);
    assert.equal(step.status, 200);
    assert.match(step.body, /<h1>Link your Account<\/h1>/);
    assert.deepEqual(candidateIds(step.body), [local.id]);
    assert.match(step.body, new RegExp(`title="Signs in with Gatehouse" data-testid="candidate/${local.username}"`), 'hover shows the IdP');

    const uid = uidOf(step);
    const passwordPage = await postForm(jar, `${server.url}/interaction/${uid}/link`, server.url, { account: local.id });
    assert.match(passwordPage.body, /Enter your credentials for the profile you chose/);
    assert.match(passwordPage.body, new RegExp(`value="${local.username}" readonly`));
    const wrong = await postForm(jar, `${server.url}/interaction/${uid}/link/password`, server.url, { password: 'Wrong-Pass-1' });
    assert.match(wrong.body, /data-testid="message\/session.invalid_credentials"/);
    assert.equal((await server.gatehouse.federation.store.identitiesOf(local.id)).length, 0, 'nothing linked yet');

    const mfaPage = await postForm(jar, `${server.url}/interaction/${uid}/link/password`, server.url, { password: local.password });
    assert.match(mfaPage.body, /Verification code/, 'the chosen profile’s MFA, as its own sign-in would ask');
    assert.equal((await server.gatehouse.federation.store.identitiesOf(local.id)).length, 0, 'still nothing: MFA is part of the proof');
    const done = await postForm(jar, `${server.url}/interaction/${uid}/mfa`, server.url, { code: await totpCode(local.totpSecret!) });
    assert.ok(atClient(done), `back at the client: ${done.status} ${done.body.slice(0, 200)}`);

    const claims = await idTokenClaims(server.url, client, done.location!, verifier);
    assert.equal(claims.sub, local.id, 'signed in to the profile the user linked to');
    assert.deepEqual([...claims.amr].sort(), ['fed', 'mfa', 'otp', 'pwd']);
    assert.equal(claims.acr, 'urn:gatehouse:loa:2');
    const identities = await server.gatehouse.federation.store.identitiesOf(local.id);
    assert.equal(identities.length, 1);
    assert.equal(identities[0].subject, person.sub);
    const [event] = await audits('federation.link');
    assert.equal(event.outcome, 'success');
    assert.equal(event.target, local.id);
    assert.equal(event.details.via, 'sign_in');

    // From now on the IdP signs in to the linked account directly, with no page in between.
    const again = await federatedSignIn(server, client, alpha, person, { button: org.alphaId });
    assert.ok(atClient(again.step));
    assert.equal((await idTokenClaims(server.url, client, again.step.location!, again.verifier)).sub, local.id);
  });

  it('links an SSO sign-in to another SSO profile through that profile’s IdP', async () => {
    const org = await organization();
    const address = email();
    const atBeta = beta.addUser({ login: login(), email: address });
    const first = await federatedSignIn(server, client, beta, atBeta, { button: org.betaId });
    const ssoAccount = (await idTokenClaims(server.url, client, first.step.location!, first.verifier)).sub;

    const atAlpha = alpha.addUser({ login: login(), email: address });
    const { jar, step, verifier } = await linkPage(org, alpha, atAlpha);
    assert.deepEqual(candidateIds(step.body), [ssoAccount]);
    assert.match(step.body, /title="Signs in with Beta"/);
    const toBeta = await postForm(jar, `${server.url}/interaction/${uidOf(step)}/link`, server.url, { account: ssoAccount });
    assert.ok(toBeta.location?.startsWith(`${beta.issuer}/auth?`), 'a redirect through the chosen profile’s IdP');
    assert.equal(new URL(toBeta.location!).searchParams.get('prompt'), 'login', 'the IdP must authenticate again');
    const back = await upstreamSignIn(jar, beta, toBeta.location!, atBeta, server.url);
    assert.ok(atClient(back), `${back.status} ${back.body.slice(0, 300)}`);
    const claims = await idTokenClaims(server.url, client, back.location!, verifier);
    assert.equal(claims.sub, ssoAccount);
    assert.deepEqual(claims.amr, ['fed']);
    const idps = (await server.gatehouse.federation.store.identitiesOf(ssoAccount)).map((i) => i.idpId).sort();
    assert.deepEqual(idps, [org.alphaId, org.betaId].sort());
  });

  it('refuses the link when the IdP round trip signs in as someone else', async () => {
    const org = await organization();
    const address = email();
    const atBeta = beta.addUser({ login: login(), email: address });
    const first = await federatedSignIn(server, client, beta, atBeta, { button: org.betaId });
    const ssoAccount = (await idTokenClaims(server.url, client, first.step.location!, first.verifier)).sub;
    const stranger = beta.addUser({ login: login(), email: email() });
    const atAlpha = alpha.addUser({ login: login(), email: address });
    const { jar, step } = await linkPage(org, alpha, atAlpha);
    const toBeta = await postForm(jar, `${server.url}/interaction/${uidOf(step)}/link`, server.url, { account: ssoAccount });
    const back = await upstreamSignIn(jar, beta, toBeta.location!, stranger, server.url);
    assert.equal(back.status, 200);
    assert.match(back.body, /data-testid="message\/link.proof_mismatch"/);
    assert.equal((await server.gatehouse.federation.store.identitiesOf(ssoAccount)).length, 1, 'nothing linked');
    assert.equal((await audits('federation.link'))[0].details.reason, 'link.proof_mismatch');
  });

  it('refuses a second profile of the same IdP, with a clear message, and audits it', async () => {
    const org = await organization();
    const address = email();
    const firstAtAlpha = alpha.addUser({ login: login(), email: address });
    const first = await federatedSignIn(server, client, alpha, firstAtAlpha, { button: org.alphaId });
    const ssoAccount = (await idTokenClaims(server.url, client, first.step.location!, first.verifier)).sub;
    const secondAtAlpha = alpha.addUser({ login: login(), email: address });
    const { jar, step } = await linkPage(org, alpha, secondAtAlpha);
    assert.deepEqual(candidateIds(step.body), [ssoAccount]);
    const refused = await postForm(jar, `${server.url}/interaction/${uidOf(step)}/link`, server.url, { account: ssoAccount });
    assert.equal(refused.status, 409);
    assert.match(refused.body, /data-testid="message\/link.same_idp"/);
    assert.match(refused.body, /cannot be linked/);
    const [event] = await audits('federation.link');
    assert.equal(event.outcome, 'denied');
    assert.equal(event.details.reason, 'link.same_idp');
  });

  it('refuses a 26th profile: a set holds at most 25', async () => {
    const org = await organization();
    const address = email();
    const local = await addMember(server, { organizationId: org.owner.organizationId, email: address });
    // 24 more IdPs of the organization, each with a profile linked to the local account: 25 profiles.
    const store = server.gatehouse.federation.store;
    for (let i = 0; i < 24; i++) {
      const idp = await store.createIdentityProvider({
        organizationId: org.owner.organizationId, name: `Filler ${i}`, issuer: `https://filler-${i}.example`, clientId: 'x', clientSecretSealed: null,
        scopes: ['openid'], claimMapping: { subject: 'sub', email: 'email', emailVerified: 'email_verified', name: 'name' }, showButton: false, provisionUsers: false, enabled: true,
      });
      await store.attachIdentity({ idpId: idp.id, issuer: idp.issuer, subject: `s${i}`, accountId: local.id, email: address });
    }
    assert.equal((await server.gatehouse.federation.linking.linkSetOf(local.id))!.size, 25);
    const person = alpha.addUser({ login: login(), email: address });
    const { jar, step } = await linkPage(org, alpha, person);
    const refused = await postForm(jar, `${server.url}/interaction/${uidOf(step)}/link`, server.url, { account: local.id });
    assert.equal(refused.status, 409);
    assert.match(refused.body, /data-testid="message\/link.limit_reached"/);
    assert.match(refused.body, /25 linked profiles/);
    assert.equal((await audits('federation.link'))[0].details.reason, 'link.limit_reached');
    // The database refuses a second identity of one IdP on one account whatever the code does.
    const filler = (await store.identitiesOf(local.id))[0];
    await assert.rejects(store.attachIdentity({ idpId: filler.idpId, issuer: filler.issuer, subject: 'another', accountId: local.id, email: null }), { code: 'link.same_idp' });
  });

  it('never links on an unverified email: no "Link your Account" page at all', async () => {
    const org = await organization();
    const address = email();
    await addMember(server, { organizationId: org.owner.organizationId, email: address });
    for (const emailVerified of [false, undefined]) {
      const person = alpha.addUser({ login: login(), email: address, emailVerified: emailVerified as boolean });
      const { step } = await federatedSignIn(server, client, alpha, person, { button: org.alphaId });
      assert.ok(atClient(step), 'provisioned as a separate profile instead');
    }
  });

  it('lists only candidates of the same organization whose own address is verified', async () => {
    const org = await organization();
    const address = email();
    const verified = await addMember(server, { organizationId: org.owner.organizationId, email: address });
    const unverified = await addMember(server, { organizationId: org.owner.organizationId, email: address });
    await server.gatehouse.organizations.orgs.updateAccount(unverified.id, { emailVerified: false });
    const elsewhere = await server.createUser({ company: 'Elsewhere', email: address });
    const person = alpha.addUser({ login: login(), email: address });
    const { step } = await linkPage(org, alpha, person);
    assert.deepEqual(candidateIds(step.body), [verified.id]);
    assert.ok(!step.body.includes(elsewhere.id));
  });

  it('offers nothing while linking is off (the default)', async () => {
    const org = await organization({ linking: false });
    const address = email();
    await addMember(server, { organizationId: org.owner.organizationId, email: address });
    const person = alpha.addUser({ login: login(), email: address });
    const { step } = await federatedSignIn(server, client, alpha, person, { button: org.alphaId });
    assert.ok(atClient(step));
  });

  it('"Don’t link" provisions a separate profile; without provisioning there is no such choice', async () => {
    const org = await organization();
    const address = email();
    const local = await addMember(server, { organizationId: org.owner.organizationId, email: address });
    const person = alpha.addUser({ login: login(), email: address });
    const { jar, step, verifier } = await linkPage(org, alpha, person);
    assert.match(step.body, /data-testid="link\/skip"/);
    const done = await postForm(jar, `${server.url}/interaction/${uidOf(step)}/link`, server.url, { action: 'skip' });
    assert.ok(atClient(done));
    assert.notEqual((await idTokenClaims(server.url, client, done.location!, verifier)).sub, local.id);

    const strict = await organization({ provision: false });
    await addMember(server, { organizationId: strict.owner.organizationId, email: address });
    const other = alpha.addUser({ login: login(), email: address });
    const page = await linkPage(strict, alpha, other);
    assert.doesNotMatch(page.step.body, /data-testid="link\/skip"/);
    const skipped = await postForm(page.jar, `${server.url}/interaction/${uidOf(page.step)}/link`, server.url, { action: 'skip' });
    assert.match(skipped.body, /data-testid="message\/federation.no_account"/);
  });

  it('refuses a crafted choice that was not a candidate', async () => {
    const org = await organization();
    const address = email();
    await addMember(server, { organizationId: org.owner.organizationId, email: address });
    const stranger = await addMember(server, { organizationId: org.owner.organizationId });
    const person = alpha.addUser({ login: login(), email: address });
    const { jar, step } = await linkPage(org, alpha, person);
    const refused = await postForm(jar, `${server.url}/interaction/${uidOf(step)}/link`, server.url, { account: stranger.id });
    assert.match(refused.body, /data-testid="message\/link.not_a_candidate"/);
  });

  describe('the profile: "Logged In Via", unlink, link another profile', () => {
    /** Signs `user` in through the account pages' own client (password + TOTP) and returns the jar. */
    async function localSession(user: TestUser) {
      const jar = new CookieJar();
      const { url } = authorizationRequest(server.url, client, { scope: 'openid' });
      const { step } = await signIn(url, user, jar);
      assert.ok(atClient(step), `signed in: ${step.status}`);
      return jar;
    }
    const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1];

    it('lists every linked profile with its IdP and when it was last used; unlinks one (audited)', async () => {
      const org = await organization();
      const address = email();
      const local = await addMember(server, { organizationId: org.owner.organizationId, email: address });
      const identity = await server.gatehouse.federation.store.attachIdentity({ idpId: org.alphaId, issuer: alpha.issuer, subject: 'linked-sub', accountId: local.id, email: address });
      const jar = await localSession(local);
      const page = await follow(jar, `${server.url}/account/permissions`, server.url);
      assert.match(page.body, /data-testid="linked-profile\/Gatehouse"/);
      assert.match(page.body, /data-testid="linked-profile\/Alpha"/);
      assert.match(page.body, /data-testid="linked-profile\/current"/);
      // When it was last used, as a date in the reader's language (the current profile: this sign-in).
      assert.match(page.body, /data-testid="linked-profile\/last-used">[^<—]*\d{4}[^<]*</);
      const unlinked = await postForm(jar, `${server.url}/account/linked-profiles/${identity.id}/unlink`, server.url, { csrf: csrfOf(page.body) });
      assert.match(unlinked.body, /data-testid="message\/link.unlinked"/);
      assert.equal((await server.gatehouse.federation.store.identitiesOf(local.id)).length, 0);
      const [event] = await audits('federation.unlink');
      assert.equal(event.outcome, 'success');
      assert.equal(event.details.identity, identity.id);
    });

    it('keeps the profile in use and the last way to sign in; refuses without the CSRF token', async () => {
      const org = await organization();
      const address = email();
      const atAlpha = alpha.addUser({ login: login(), email: address });
      const jar = new CookieJar();
      const first = await federatedSignIn(server, client, alpha, atAlpha, { button: org.alphaId }, { jar });
      const ssoAccount = (await idTokenClaims(server.url, client, first.step.location!, first.verifier)).sub;
      const betaIdentity = await server.gatehouse.federation.store.attachIdentity({ idpId: org.betaId, issuer: beta.issuer, subject: 'b-sub', accountId: ssoAccount, email: address });
      const alphaIdentity = (await server.gatehouse.federation.store.identitiesOf(ssoAccount)).find((i) => i.idpId === org.alphaId)!;
      const page = await follow(jar, `${server.url}/account/permissions`, server.url);
      assert.match(page.body, new RegExp(`data-testid="unlink/Beta"`));
      assert.doesNotMatch(page.body, /data-testid="unlink\/Alpha"/, 'no Unlink for the profile in use');
      const csrf = csrfOf(page.body);
      const forged = await postForm(jar, `${server.url}/account/linked-profiles/${betaIdentity.id}/unlink`, server.url, { csrf: 'nope' });
      assert.equal(forged.status, 403);
      const current = await postForm(jar, `${server.url}/account/linked-profiles/${alphaIdentity.id}/unlink`, server.url, { csrf });
      assert.match(current.body, /data-testid="message\/link.unlink_current"/);
      const other = await postForm(jar, `${server.url}/account/linked-profiles/${betaIdentity.id}/unlink`, server.url, { csrf });
      assert.match(other.body, /data-testid="message\/link.unlinked"/);
      assert.deepEqual((await server.gatehouse.federation.store.identitiesOf(ssoAccount)).map((i) => i.id), [alphaIdentity.id]);
      const refusals = (await audits('federation.unlink')).filter((e: { outcome: string }) => e.outcome === 'denied');
      assert.equal(refusals[0].details.reason, 'link.unlink_current');
    });

    it('links another IdP’s profile from the profile (a round trip through it), then signs in with it', async () => {
      const org = await organization();
      const address = email();
      const local = await addMember(server, { organizationId: org.owner.organizationId, email: address });
      const jar = await localSession(local);
      const page = await follow(jar, `${server.url}/account/permissions`, server.url);
      assert.match(page.body, /data-testid="link-profile\/Beta"/);
      const toBeta = await postForm(jar, `${server.url}/account/linked-profiles/link`, server.url, { csrf: csrfOf(page.body), idp: org.betaId });
      assert.ok(toBeta.location?.startsWith(`${beta.issuer}/auth?`), `${toBeta.status} ${toBeta.location}`);
      assert.equal(new URL(toBeta.location!).searchParams.get('prompt'), 'login');
      const atBeta = beta.addUser({ login: login(), email: address });
      const back = await upstreamSignIn(jar, beta, toBeta.location!, atBeta, server.url);
      assert.match(back.body, /data-testid="message\/link.linked"/);
      assert.equal((await audits('federation.link'))[0].details.via, 'profile');
      const via = await federatedSignIn(server, client, beta, atBeta, { button: org.betaId });
      assert.equal((await idTokenClaims(server.url, client, via.step.location!, via.verifier)).sub, local.id);
    });

    it('refuses a profile-initiated link whose email differs or is unverified, or whose answer comes back to another session', async () => {
      const org = await organization();
      const address = email();
      const local = await addMember(server, { organizationId: org.owner.organizationId, email: address });
      const jar = await localSession(local);
      const start = async () => {
        const page = await follow(jar, `${server.url}/account/permissions`, server.url);
        return postForm(jar, `${server.url}/account/linked-profiles/link`, server.url, { csrf: csrfOf(page.body), idp: org.betaId });
      };
      const mismatch = await upstreamSignIn(jar, beta, (await start()).location!, beta.addUser({ login: login(), email: email() }), server.url);
      assert.match(mismatch.body, /data-testid="message\/link.email_mismatch"/);
      const unverified = await upstreamSignIn(jar, beta, (await start()).location!, beta.addUser({ login: login(), email: address, emailVerified: false }), server.url);
      assert.match(unverified.body, /data-testid="message\/link.email_unverified"/);
      // Someone else's browser: the answer is bound to the session that started the link.
      const toBeta = await start();
      const attacker = await localSession(await addMember(server, { organizationId: org.owner.organizationId }));
      const stolen = await upstreamSignIn(attacker, beta, toBeta.location!, beta.addUser({ login: login(), email: address }), server.url);
      assert.match(stolen.body, /data-testid="message\/link.expired"/);
      assert.equal((await server.gatehouse.federation.store.identitiesOf(local.id)).length, 0);
    });
  });
});
