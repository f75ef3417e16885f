// Signing in through an organization's external OIDC IdP (real oidc-provider upstreams on other ports):
// custom domain, "Sign in with" buttons, RP hints, just-in-time provisioning, SSO accounts (no password,
// no Gatehouse MFA, no email prompt, email managed by the IdP, amr fed), and upstream errors that end on
// a page with a way back. Runs on PGlite and on PostgreSQL + Redis.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { idTokenClaims, type RpClient } from '../../helpers/authorization.ts';
import { CookieJar, follow, postForm } from '../../helpers/browserless-user.ts';
import type { TestServer } from '../../helpers/gatehouse-server.ts';
import { describeFor, storeMatrix } from '../../helpers/stores.ts';
import { upstreamSignIn, type UpstreamIdp } from '../../helpers/upstream-idp.ts';
import {
  continueWithDomain,
  federatedSignIn,
  idpButtonAction,
  openSignIn,
  principalOf,
  registerIdp,
  setSignInSettings,
  startFederatedGatehouse,
  startIdp,
  testid,
} from './federation-fixtures.ts';

const domain = () => `acme-${randomBytes(4).toString('hex')}.test`;

for (const store of storeMatrix()) {
  describeFor(store, 'federation: signing in through an external IdP', () => {
    let server: TestServer;
    let alpha: UpstreamIdp;
    let beta: UpstreamIdp;
    let client: RpClient;

    before(async () => {
      server = await startFederatedGatehouse(store);
      alpha = await startIdp(server, 'alpha');
      // beta keeps its claims in userinfo (OIDC Core's default), so that path is exercised too.
      beta = await startIdp(server, 'beta', { claimsInIdToken: false });
      client = await server.createClient();
    });
    after(async () => {
      await alpha?.close();
      await beta?.close();
      await server?.close();
    });

    async function organization(options: { provision?: boolean; showButton?: boolean } = {}) {
      const owner = await server.createUser({ company: 'Acme' });
      const d = domain();
      const idpId = await registerIdp(server, owner, alpha, { provisionUsers: options.provision ?? true, showButton: options.showButton ?? false });
      await setSignInSettings(server, owner, { domains: [d] });
      return { owner, domain: d, idpId };
    }

    it('custom domain → the IdP → back signed in: a new SSO account is provisioned in the organization', async () => {
      const org = await organization();
      const person = alpha.addUser({ login: `p${randomBytes(3).toString('hex')}`, email: 'Carol.Jones@Example.com', name: 'Carol Jones' });
      const { step, verifier } = await federatedSignIn(server, client, alpha, person, { domain: org.domain.toUpperCase() });
      assert.ok(step.location?.startsWith(client.redirect_uris[0]), `back at the client, not ${step.status} ${step.location ?? step.body.slice(0, 300)}`);
      const claims = await idTokenClaims(server.url, client, step.location!, verifier);
      assert.deepEqual(claims.amr, ['fed']);
      assert.equal(claims.acr, 'urn:gatehouse:loa:1');
      assert.equal(claims.email, 'carol.jones@example.com');
      assert.equal(claims.email_verified, true);
      assert.equal(claims.name, 'Carol Jones');
      assert.equal(claims.preferred_username, 'carol-jones', 'derived from the email’s local part');

      const account = await server.gatehouse.accounts.findById(claims.sub);
      assert.equal(account?.organization?.id, org.owner.organizationId, 'a member of the IdP’s organization');
      assert.deepEqual(account?.roles, ['member']);
      const profile = await server.gatehouse.selfService.profiles.find(claims.sub);
      assert.equal(profile?.sso, true, 'no Gatehouse password');
      assert.equal((await server.gatehouse.mfa.listMethods(claims.sub)).length, 0, 'no Gatehouse MFA');
      const identities = await server.gatehouse.federation.store.identitiesOf(claims.sub);
      assert.equal(identities.length, 1);
      assert.equal(identities[0].issuer, alpha.issuer);
      assert.equal(identities[0].subject, person.sub);
    });

    it('a second sign-in lands on the same account, found by (issuer, sub) even when the email changed at the IdP', async () => {
      const org = await organization();
      const person = alpha.addUser({ login: `p${randomBytes(3).toString('hex')}` });
      const first = await federatedSignIn(server, client, alpha, person, { domain: org.domain });
      const firstSub = (await idTokenClaims(server.url, client, first.step.location!, first.verifier)).sub;
      person.email = `renamed-${person.login}@example.com`;
      const again = await federatedSignIn(server, client, alpha, person, { domain: org.domain });
      const claims = await idTokenClaims(server.url, client, again.step.location!, again.verifier);
      assert.equal(claims.sub, firstSub);
      assert.equal(claims.email, person.email, 'an SSO account’s email follows the IdP');
    });

    it('never identifies by email: another IdP user with the same email gets an account of their own', async () => {
      const org = await organization();
      const email = `shared-${randomBytes(3).toString('hex')}@example.com`;
      const one = alpha.addUser({ login: `a${randomBytes(3).toString('hex')}`, email });
      const two = alpha.addUser({ login: `b${randomBytes(3).toString('hex')}`, email });
      const s1 = await federatedSignIn(server, client, alpha, one, { domain: org.domain });
      const s2 = await federatedSignIn(server, client, alpha, two, { domain: org.domain });
      const sub1 = (await idTokenClaims(server.url, client, s1.step.location!, s1.verifier)).sub;
      const sub2 = (await idTokenClaims(server.url, client, s2.step.location!, s2.verifier)).sub;
      assert.notEqual(sub1, sub2);
    });

    it('SSO logins skip Gatehouse MFA and the email prompt, even for an address the IdP did not verify', async () => {
      const org = await organization();
      const person = alpha.addUser({ login: `p${randomBytes(3).toString('hex')}`, emailVerified: false });
      const { step, verifier } = await federatedSignIn(server, client, alpha, person, { domain: org.domain });
      assert.ok(step.location?.startsWith(client.redirect_uris[0]), 'straight back to the client: no MFA page, no "Verify your email"');
      const claims = await idTokenClaims(server.url, client, step.location!, verifier);
      assert.equal(claims.email_verified, false);
      await assert.rejects(server.gatehouse.selfService.emailVerification.send(claims.sub), { code: 'email.managed_by_idp' });
      await assert.rejects(server.gatehouse.selfService.emailChange.request(claims.sub, 'other@example.com', {}), { code: 'email.managed_by_idp' });
    });

    it('the session remembers the IdP: the profile’s "Logged In Via" shows it as this session', async () => {
      const org = await organization();
      const person = alpha.addUser({ login: `p${randomBytes(3).toString('hex')}` });
      const { jar } = await federatedSignIn(server, client, alpha, person, { domain: org.domain });
      const page = await follow(jar, `${server.url}/account/permissions`, server.url);
      assert.equal(page.status, 200);
      assert.equal(testid(page.body, 'permissions/logged-in-via'), 'Single sign-on through your organization’s identity provider');
      assert.match(page.body, /data-testid="linked-profile\/Alpha IdP"/);
      assert.match(page.body, /data-testid="linked-profile\/current"/);
      assert.equal(testid(page.body, 'permissions/org-domain'), org.domain, 'members see the organization’s domain in their profile');
      const mfaTab = await follow(jar, `${server.url}/account/mfa`, server.url);
      assert.equal(mfaTab.status, 403, 'no Gatehouse MFA to manage');
      assert.match(mfaTab.body, /data-testid="error\/mfa.managed_by_idp"/);
      const passwordTab = await follow(jar, `${server.url}/account/password`, server.url);
      assert.equal(passwordTab.status, 200, 'a recent SSO sign-in counts as recent authentication: no sign-in loop');
    });

    it('an IdP that reports MFA (amr) makes a multi-factor login; a client demanding MFA is refused otherwise', async () => {
      const org = await organization();
      const person = alpha.addUser({ login: `p${randomBytes(3).toString('hex')}` });
      const demanding = { extra: { acr_values: 'urn:gatehouse:loa:2' } };
      const without = await federatedSignIn(server, client, alpha, person, { domain: org.domain }, demanding);
      assert.equal(new URL(without.step.location!).searchParams.get('error'), 'access_denied', 'no Gatehouse MFA to fall back on');
      alpha.amr = ['pwd', 'mfa'];
      try {
        const withMfa = await federatedSignIn(server, client, alpha, person, { domain: org.domain }, demanding);
        const claims = await idTokenClaims(server.url, client, withMfa.step.location!, withMfa.verifier);
        assert.deepEqual(claims.amr, ['fed', 'mfa']);
        assert.equal(claims.acr, 'urn:gatehouse:loa:2');
      } finally {
        alpha.amr = undefined;
      }
    });

    it('claims only in userinfo (OIDC Core default) are fetched and mapped', async () => {
      const owner = await server.createUser({ company: 'Acme' });
      const d = domain();
      await registerIdp(server, owner, beta, { name: 'Beta IdP', showButton: false });
      await setSignInSettings(server, owner, { domains: [d] });
      const person = beta.addUser({ login: `p${randomBytes(3).toString('hex')}`, email: 'userinfo@example.com', name: 'Info Only' });
      const { step, verifier } = await federatedSignIn(server, client, beta, person, { domain: d });
      const claims = await idTokenClaims(server.url, client, step.location!, verifier);
      assert.equal(claims.email, 'userinfo@example.com');
      assert.equal(claims.name, 'Info Only');
    });

    it('"Sign in with <IdP>" buttons on the sign-in page go to that IdP', async () => {
      const org = await organization({ showButton: true });
      const person = alpha.addUser({ login: `p${randomBytes(3).toString('hex')}` });
      const { page } = await openSignIn(server, client);
      assert.match(page.body, /Sign in with Alpha IdP/);
      assert.match(page.body, /data-testid="link\/custom-domain"[^>]*>Use custom domain</);
      const { step } = await federatedSignIn(server, client, alpha, person, { button: org.idpId });
      assert.ok(step.location?.startsWith(client.redirect_uris[0]));
    });

    it('an organization with several IdPs gets a chooser after its domain', async () => {
      const org = await organization();
      const betaId = await registerIdp(server, org.owner, beta, { name: 'Beta IdP', showButton: false });
      const { jar, page } = await openSignIn(server, client);
      const { step } = await continueWithDomain(server, jar, page, org.domain);
      assert.equal(step.status, 200);
      assert.match(step.body, /Choose your identity provider/);
      assert.match(step.body, /Sign in with Alpha IdP/);
      assert.match(step.body, new RegExp(`value="${betaId}"`));
    });

    it('an unknown domain says "not found" and nothing more; a domain without an enabled IdP says the same', async () => {
      const org = await organization();
      await server.gatehouse.federation.idps.update(await principalOf(server, org.owner), org.idpId, { enabled: false });
      const { jar, page } = await openSignIn(server, client);
      const unknown = await continueWithDomain(server, jar, page, 'no-such-org.example');
      const disabled = await postForm(jar, `${server.url}/interaction/${unknown.uid}/domain`, server.url, { domain: org.domain });
      for (const step of [unknown.step, disabled]) {
        assert.equal(step.status, 404);
        assert.match(step.body, /data-testid="message\/federation.domain_not_found"/);
        assert.match(step.body, /Enter your organization’s domain name/);
        assert.match(step.body, /Continue/);
      }
    });

    it('an RP hint (domain_hint, or login_hint with a domain) goes straight to the organization’s IdP', async () => {
      const org = await organization();
      for (const extra of [{ domain_hint: org.domain }, { login_hint: org.domain }] as Record<string, string>[]) {
        const { page } = await openSignIn(server, client, extra);
        assert.equal(page.status, 303);
        assert.ok(page.location?.startsWith(`${alpha.issuer}/auth?`), `to the IdP, not ${page.location}`);
      }
      const { page } = await openSignIn(server, client, { login_hint: 'someone@example.com' });
      assert.equal(page.status, 200, 'an email login_hint is just a username hint');
    });

    it('without provisioning, an IdP user with no linked account is refused on the sign-in page', async () => {
      const org = await organization({ provision: false });
      const person = alpha.addUser({ login: `p${randomBytes(3).toString('hex')}` });
      const { step } = await federatedSignIn(server, client, alpha, person, { domain: org.domain });
      assert.equal(step.status, 200);
      assert.match(step.body, /data-testid="message\/federation.no_account"/);
      assert.match(step.body, /<h1>Sign in<\/h1>/, 'back on the sign-in page');
    });

    it('"Cancel" at the IdP (access_denied) shows a message on the sign-in page, not an error', async () => {
      const org = await organization();
      const { step } = await federatedSignIn(server, client, alpha, 'cancel', { domain: org.domain });
      assert.equal(step.status, 200);
      assert.match(step.body, /data-testid="message\/federation.access_denied"/);
      assert.match(step.body, /<h1>Sign in<\/h1>/);
    });

    it('an IdP that is down: a clear message on the sign-in page, never a 500', async () => {
      const owner = await server.createUser({ company: 'Acme' });
      const down = await startIdp(server, 'gamma');
      const d = domain();
      await registerIdp(server, owner, down, { name: 'Gamma IdP' });
      await setSignInSettings(server, owner, { domains: [d] });
      await down.close();
      const { jar, page } = await openSignIn(server, client);
      const { step } = await continueWithDomain(server, jar, page, d);
      assert.equal(step.status, 502);
      assert.match(step.body, /data-testid="message\/federation.idp_unavailable"/);
      assert.match(step.body, /Back to sign in/);
    });

    it('the IdP going down between the redirect and the callback: a message on the sign-in page', async () => {
      const owner = await server.createUser({ company: 'Acme' });
      const flaky = await startIdp(server, 'delta');
      const d = domain();
      await registerIdp(server, owner, flaky, { name: 'Delta IdP' });
      await setSignInSettings(server, owner, { domains: [d] });
      const person = flaky.addUser({ login: 'dora' });
      const { jar, page } = await openSignIn(server, client);
      const { step: toIdp } = await continueWithDomain(server, jar, page, d);
      // Sign in at the IdP, but stop before following its redirect back to Gatehouse.
      const login = await follow(jar, toIdp.location!, flaky.issuer);
      const action = new URL(/action="([^"]+)"/.exec(login.body)![1], login.url).href;
      const back = await postForm(jar, action, flaky.issuer, { action: 'login', login: person.login, password: person.password });
      await flaky.close(); // the token endpoint is gone now
      const step = await follow(jar, back.location!, server.url);
      assert.equal(step.status, 200);
      assert.match(step.body, /data-testid="message\/federation.(idp_unavailable|invalid_response)"/);
    });

    it('a disabled IdP’s button is gone and its id can’t be used', async () => {
      const org = await organization({ showButton: true });
      const { jar, page } = await openSignIn(server, client);
      const uid = /\/interaction\/([^/]+)$/.exec(new URL(page.url).pathname)![1];
      await server.gatehouse.db.knex('identity_providers').where({ id: org.idpId }).update({ enabled: false });
      const step = await postForm(jar, `${server.url}/interaction/${uid}/credentials`, server.url, { idp: org.idpId });
      assert.match(step.body, /data-testid="message\/federation.idp_not_found"/);
      const again = await openSignIn(server, client);
      assert.doesNotMatch(again.page.body, new RegExp(`value="${org.idpId}"`));
    });

    it('an SSO account re-authenticating (prompt=login) is offered its IdP and asked to sign in there again', async () => {
      const org = await organization();
      const person = alpha.addUser({ login: `p${randomBytes(3).toString('hex')}` });
      const jar = new CookieJar();
      await federatedSignIn(server, client, alpha, person, { domain: org.domain }, { jar });
      const { page } = await openSignIn(server, client, { prompt: 'login' }, jar);
      assert.match(page.body, /data-testid="message\/session.reauthenticate"/);
      assert.match(page.body, new RegExp(`value="${org.idpId}"`), 'its IdP, though the IdP has no button');
      const toIdp = await postForm(jar, idpButtonAction(page.body, page.url).action, server.url, { idp: org.idpId });
      assert.equal(new URL(toIdp.location!).searchParams.get('prompt'), 'login');
      const back = await upstreamSignIn(jar, alpha, toIdp.location!, person, server.url);
      assert.ok(back.location?.startsWith(client.redirect_uris[0]));
    });
  });
}
