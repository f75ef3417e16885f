// Federation journeys in Chromium, with two real oidc-provider IdPs on other ports whose login pages the
// browser fills in: custom domain → IdP → back signed in (a provisioned SSO account); "SSO required"
// refusing a local password; linking an SSO sign-in to a local profile (password + TOTP) and to another
// SSO profile; the 25-profile cap; the same-IdP refusal; no linking on an unverified email; unlink.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { totpCode } from '../../accounts/totp.ts';
import { closeContextsAfterEach, describeBrowser, launchBrowser } from '../helpers/browser.ts';
import type { TestServer, TestUser } from '../helpers/gatehouse-server.ts';
import { addMember } from '../helpers/organization-fixtures.ts';
import type { UpstreamIdp, UpstreamUser } from '../helpers/upstream-idp.ts';
import { registerIdp, setSignInSettings, startFederatedGatehouse, startIdp } from '../integration/federation/federation-fixtures.ts';
import { CHALLENGE_HEADING, MfaPage } from './pages/mfa-page.ts';
import { SignInPage } from './pages/sign-in-page.ts';
import { CustomDomainPage, LINK_HEADING, LinkAccountPage, LinkPasswordPage, LoggedInViaSection, UpstreamLoginPage } from './pages/federation-pages.ts';

describeBrowser('e2e: federation journeys', () => {
  let server: TestServer;
  let alpha: UpstreamIdp;
  let beta: UpstreamIdp;
  let browser: Browser;
  let rp: http.Server;
  let redirectUri: string;
  let client: Awaited<ReturnType<TestServer['createClient']>>;
  const contexts = closeContextsAfterEach('federation');

  before(async () => {
    browser = await launchBrowser();
    server = await startFederatedGatehouse();
    alpha = await startIdp(server, 'alpha');
    beta = await startIdp(server, 'beta');
    rp = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('callback received');
    });
    await new Promise<void>((resolve) => rp.listen(0, '127.0.0.1', resolve));
    redirectUri = `http://127.0.0.1:${(rp.address() as AddressInfo).port}/callback`;
    client = await server.createClient({ redirect_uris: [redirectUri] });
  });
  after(async () => {
    await browser?.close();
    rp?.closeAllConnections();
    rp?.close();
    await alpha?.close();
    await beta?.close();
    await server?.close();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext();
    contexts.push(context);
    return context.newPage();
  }

  /** The relying party sends the browser to Gatehouse; returns the sign-in page. */
  async function startAtRp(page: Page) {
    const url = new URL('/auth', server.url);
    url.search = new URLSearchParams({
      client_id: client.client_id,
      response_type: 'code',
      scope: 'openid email profile',
      redirect_uri: redirectUri,
      state: randomBytes(8).toString('hex'),
      code_challenge: createHash('sha256').update(randomBytes(32)).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    await page.goto(url.href);
    const signIn = new SignInPage(page);
    assert.equal(await signIn.isShown(), true);
    return signIn;
  }
  const atRp = (url: URL) => url.href.startsWith(`${redirectUri}?`);
  const tag = () => randomBytes(3).toString('hex');

  type Org = { owner: TestUser; domain: string; alphaName: string; betaName: string; alphaId: string; betaId: string };
  async function organization(options: { linking?: boolean; ssoRequired?: boolean } = {}): Promise<Org> {
    const owner = await server.createUser({ company: 'Acme' });
    const t = tag();
    const domain = `acme-${t}.test`;
    const alphaName = `Alpha ${t}`;
    const betaName = `Beta ${t}`;
    const alphaId = await registerIdp(server, owner, alpha, { name: alphaName, showButton: true, provisionUsers: true });
    const betaId = await registerIdp(server, owner, beta, { name: betaName, showButton: true, provisionUsers: true });
    await setSignInSettings(server, owner, { domains: [domain], allowProfileLinking: options.linking ?? true, ssoRequired: options.ssoRequired ?? false });
    return { owner, domain, alphaName, betaName, alphaId, betaId };
  }

  async function viaButton(page: Page, idpName: string, idp: UpstreamIdp, user: UpstreamUser) {
    await page.getByRole('button', { name: `Sign in with ${idpName}`, exact: true }).click();
    await new UpstreamLoginPage(page).signIn(idp === alpha ? 'alpha' : 'beta', user);
  }

  it('custom domain → the IdP → back at the application, signed in to a new SSO account', async () => {
    const org = await organization();
    const person = alpha.addUser({ login: `c${tag()}`, email: `carol-${tag()}@example.com` });
    const page = await newPage();
    await startAtRp(page);
    await page.getByRole('link', { name: 'Use custom domain', exact: true }).click();
    const domainPage = new CustomDomainPage(page);
    await domainPage.waitForHeading('Use custom domain');
    await domainPage.enter('no-such-domain.example');
    assert.equal(await domainPage.message('federation.domain_not_found').isVisible(), true);
    await domainPage.enter(org.domain);
    // The organization has two IdPs: a chooser, then the chosen IdP's own login page.
    await domainPage.waitForHeading('Choose your identity provider');
    await page.getByRole('button', { name: `Sign in with ${org.alphaName}`, exact: true }).click();
    await new UpstreamLoginPage(page).signIn('alpha', person);
    await page.waitForURL(atRp);
    assert.ok(new URL(page.url()).searchParams.get('code'));
    const identity = await server.gatehouse.db.knex('federated_identities').where({ subject: person.sub }).first();
    const profile = await server.gatehouse.selfService.profiles.find(identity.account_id);
    assert.equal(profile?.email, person.email);
    assert.equal(profile?.sso, true, 'an SSO account: no Gatehouse password');
  });

  it('"SSO required": a member’s valid password is refused with the advice to use the IdP or the custom domain', async () => {
    const org = await organization({ ssoRequired: true });
    const member = await addMember(server, { organizationId: org.owner.organizationId });
    const page = await newPage();
    const signIn = await startAtRp(page);
    await signIn.signIn(member.username, member.password);
    await signIn.message('session.sso_required').waitFor();
    assert.match((await signIn.message('session.sso_required').textContent()) ?? '', /Sign in through your identity provider, or choose “Use custom domain”/);
    assert.equal(await page.getByRole('link', { name: 'Use custom domain', exact: true }).isVisible(), true);
  });

  it('links an SSO sign-in to a local profile: Link your Account → Link Accounts → password → TOTP', async () => {
    const org = await organization();
    const email = `lee-${tag()}@example.com`;
    const local = await addMember(server, { organizationId: org.owner.organizationId, email });
    const person = alpha.addUser({ login: `l${tag()}`, email });
    const page = await newPage();
    await startAtRp(page);
    await viaButton(page, org.alphaName, alpha, person);
    const link = new LinkAccountPage(page);
    await link.waitForHeading(LINK_HEADING);
    assert.deepEqual(await link.candidates(), [local.username]);
    assert.equal(await link.candidate(local.username).getAttribute('title'), 'Signs in with Gatehouse', 'hovering shows the IdP');
    await link.choose(local.username);
    const password = new LinkPasswordPage(page);
    await password.waitForHeading('Sign in to the profile you chose');
    assert.equal(await password.username.inputValue(), local.username);
    await password.enter(local.password);
    const mfa = new MfaPage(page);
    await mfa.waitForHeading(CHALLENGE_HEADING);
    await mfa.enterCode(await totpCode(local.totpSecret!));
    await page.waitForURL(atRp);
    const identities = await server.gatehouse.federation.store.identitiesOf(local.id);
    assert.deepEqual(identities.map((i) => i.subject), [person.sub]);
  });

  it('links an SSO sign-in to another SSO profile through that profile’s IdP', async () => {
    const org = await organization();
    const email = `sam-${tag()}@example.com`;
    const atBeta = beta.addUser({ login: `b${tag()}`, email });
    const first = await newPage();
    await startAtRp(first);
    await viaButton(first, org.betaName, beta, atBeta);
    await first.waitForURL(atRp);
    const ssoAccount = (await server.gatehouse.db.knex('federated_identities').where({ subject: atBeta.sub }).first()).account_id;
    const username = (await server.gatehouse.accounts.findById(ssoAccount))!.username;

    const atAlpha = alpha.addUser({ login: `a${tag()}`, email });
    const page = await newPage();
    await startAtRp(page);
    await viaButton(page, org.alphaName, alpha, atAlpha);
    const link = new LinkAccountPage(page);
    await link.waitForHeading(LINK_HEADING);
    assert.equal(await link.candidate(username).getAttribute('title'), `Signs in with ${org.betaName}`);
    await link.choose(username);
    await new UpstreamLoginPage(page).signIn('beta', atBeta);
    await page.waitForURL(atRp);
    const idps = (await server.gatehouse.federation.store.identitiesOf(ssoAccount)).map((i) => i.idpId).sort();
    assert.deepEqual(idps, [org.alphaId, org.betaId].sort());
  });

  it('refuses a 26th profile with a clear message', async () => {
    const org = await organization();
    const email = `max-${tag()}@example.com`;
    const local = await addMember(server, { organizationId: org.owner.organizationId, email });
    const store = server.gatehouse.federation.store;
    for (let i = 0; i < 24; i++) {
      const idp = await store.createIdentityProvider({
        organizationId: org.owner.organizationId, name: `Filler ${i}`, issuer: `https://filler-${i}.example`, clientId: 'x', clientSecretSealed: null,
        scopes: ['openid'], claimMapping: { subject: 'sub', email: 'email', emailVerified: 'email_verified', name: 'name' }, showButton: false, provisionUsers: false, enabled: true,
      });
      await store.attachIdentity({ idpId: idp.id, issuer: idp.issuer, subject: `s${i}`, accountId: local.id, email });
    }
    const person = alpha.addUser({ login: `m${tag()}`, email });
    const page = await newPage();
    await startAtRp(page);
    await viaButton(page, org.alphaName, alpha, person);
    const link = new LinkAccountPage(page);
    await link.waitForHeading(LINK_HEADING);
    await link.choose(local.username);
    await link.message('link.limit_reached').waitFor();
    assert.match((await link.message('link.limit_reached').textContent()) ?? '', /25 linked profiles/);
  });

  it('refuses linking two profiles of the same IdP with a clear message', async () => {
    const org = await organization();
    const email = `dup-${tag()}@example.com`;
    const first = alpha.addUser({ login: `f${tag()}`, email });
    const firstPage = await newPage();
    await startAtRp(firstPage);
    await viaButton(firstPage, org.alphaName, alpha, first);
    await firstPage.waitForURL(atRp);
    const username = (await server.gatehouse.accounts.findById((await server.gatehouse.db.knex('federated_identities').where({ subject: first.sub }).first()).account_id))!.username;

    const second = alpha.addUser({ login: `s${tag()}`, email });
    const page = await newPage();
    await startAtRp(page);
    await viaButton(page, org.alphaName, alpha, second);
    const link = new LinkAccountPage(page);
    await link.waitForHeading(LINK_HEADING);
    await link.choose(username);
    await link.message('link.same_idp').waitFor();
    assert.match((await link.message('link.same_idp').textContent()) ?? '', /same identity provider cannot be linked/);
  });

  it('offers no linking when the IdP did not verify the email address', async () => {
    const org = await organization();
    const email = `unv-${tag()}@example.com`;
    await addMember(server, { organizationId: org.owner.organizationId, email });
    const person = alpha.addUser({ login: `u${tag()}`, email, emailVerified: false });
    const page = await newPage();
    await startAtRp(page);
    await viaButton(page, org.alphaName, alpha, person);
    await page.waitForURL(atRp);
    assert.equal(await page.getByRole('heading', { name: LINK_HEADING }).count(), 0);
  });

  it('unlinks a profile from "Logged In Via" in the profile', async () => {
    const org = await organization();
    const email = `unl-${tag()}@example.com`;
    const local = await addMember(server, { organizationId: org.owner.organizationId, email });
    await server.gatehouse.federation.store.attachIdentity({ idpId: org.alphaId, issuer: alpha.issuer, subject: `s-${tag()}`, accountId: local.id, email });
    const page = await newPage();
    await page.goto(`${server.url}/account/permissions`);
    const signIn = new SignInPage(page);
    await signIn.signIn(local.username, local.password);
    const mfa = new MfaPage(page);
    await mfa.waitForHeading(CHALLENGE_HEADING);
    await mfa.enterCode(await totpCode(local.totpSecret!));
    await page.waitForURL((url) => url.pathname === '/account/permissions');
    const section = new LoggedInViaSection(page);
    assert.deepEqual(await section.idpNames(), ['Gatehouse', org.alphaName]);
    assert.equal(await section.unlink('Gatehouse').count(), 0, 'the profile in use stays');
    await section.unlink(org.alphaName).click();
    await section.message('link.unlinked').waitFor();
    assert.deepEqual(await section.idpNames(), ['Gatehouse']);
    assert.equal((await server.gatehouse.federation.store.identitiesOf(local.id)).length, 0);
  });
});
