// Gatehouse's pages in Chromium: organization branding on each surface (its app's sign-in and consent,
// domain_hint, an invitation, its members' profile and Access Management), set on the Organization page
// with a real file input; an operator's THEME_DIR; error pages, the 404 and `/`; and continuity: a person
// who signs up from an app's sign-in page ends back at the app, which receives a code.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { totpCode } from '../../accounts/totp.ts';
import { userPrincipal } from '../../accounts/access.ts';
import { closeContextsAfterEach, describeBrowser, launchBrowser } from '../helpers/browser.ts';
import { startGatehouse, uniqueName, type TestServer, type TestUser } from '../helpers/gatehouse-server.ts';
import { authorizationRequest, redeemCode, decodeJwtPayload } from '../helpers/authorization.ts';
import { startRelyingParty, type RelyingPartyServer } from '../helpers/relying-party-server.ts';
import { createTestClock } from '../helpers/self-service.ts';
import { CHALLENGE_HEADING, ENROL_HEADING, MfaPage, RECOVERY_CODES_HEADING } from './pages/mfa-page.ts';
import { SignInPage } from './pages/sign-in-page.ts';
import { EmailCodePage, SignUpPage } from './pages/self-service-pages.ts';
import { BrandingPage } from './pages/branding-page.ts';

/** A 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
/** #0b6e4f as the computed style writes it: dark enough for white text, so the button keeps it. */
const ACCENT = '#0b6e4f';
const ACCENT_RGB = 'rgb(11, 110, 79)';

describeBrowser('e2e: pages (branding, theme, errors, continuity)', () => {
  const clock = createTestClock();
  let server: TestServer;
  let rp: RelyingPartyServer;
  let browser: Browser;
  const contexts = closeContextsAfterEach('pages');

  before(async () => {
    browser = await launchBrowser();
    rp = await startRelyingParty();
    server = await startGatehouse(undefined, {}, { clock: clock.now });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await rp?.close();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext();
    contexts.push(context);
    return context.newPage();
  }

  async function signIn(page: Page, user: TestUser) {
    await new SignInPage(page).signIn(user.username, user.password);
    const mfa = new MfaPage(page);
    await mfa.waitForHeading(CHALLENGE_HEADING);
    clock.advance(30_000); // one TOTP code per 30 s step
    await mfa.enterCode(await totpCode(user.totpSecret!, clock.now()));
  }

  describe('branding', () => {
    let owner: TestUser;
    before(async () => {
      owner = await server.createUser({ company: 'Lighthouse Bakery' });
    });

    it('the owner sets a display name, accent colour and logo on the Organization page; Access Management shows them at once', async () => {
      const page = await newPage();
      await page.goto(`${server.url}/admin/organization`);
      await signIn(page, owner);
      const brand = new BrandingPage(page);
      await page.getByRole('heading', { level: 1, name: 'Organization', exact: true }).waitFor();
      await brand.displayName.fill('Lighthouse');
      await brand.accentColor.fill(ACCENT);
      await page.getByRole('button', { name: 'Save branding', exact: true }).click();
      await brand.message('branding.updated').waitFor();
      await brand.logoFile.setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: PNG });
      await page.getByRole('button', { name: 'Upload logo', exact: true }).click();
      await brand.message('branding.logo_set').waitFor();

      assert.equal(await brand.brandName.textContent(), 'Lighthouse');
      assert.equal(await brand.rendered(brand.brandLogo), true, 'the logo loads (type, CSP and caching allow it)');
      assert.equal(await brand.buttonColour('Save branding'), ACCENT_RGB, 'buttons take the accent');
      await page.goto(`${server.url}/account`);
      assert.equal(await brand.brandName.textContent(), 'Lighthouse', 'the profile too');
    });

    it('the organization’s app: sign-in and consent show the brand, the app’s name and its logo', async () => {
      const client = await server.createClient({
        client_name: 'Lighthouse Orders',
        logo_uri: `${server.url}/branding/${owner.organizationId}/logo`,
        organization_id: owner.organizationId,
        first_party: false,
        redirect_uris: [rp.redirectUri],
      });
      const page = await newPage();
      await page.goto(authorizationRequest(server.url, client, { scope: 'openid profile' }).url);
      const brand = new BrandingPage(page);
      assert.equal(await brand.brandName.textContent(), 'Lighthouse');
      assert.equal(await brand.rendered(brand.brandLogo), true);
      assert.equal(await brand.appName.textContent(), 'Lighthouse Orders');
      assert.equal(await brand.rendered(brand.appLogo), true, 'the app logo loads');
      assert.equal(await brand.buttonColour('Sign in'), ACCENT_RGB);
      await signIn(page, owner);
      await page.getByRole('button', { name: 'Allow', exact: true }).waitFor();
      assert.equal(await brand.appName.textContent(), 'Lighthouse Orders');
      assert.equal(await brand.brandName.textContent(), 'Lighthouse');
    });

    it('domain_hint and an invitation of the organization show the brand; another app does not', async () => {
      const domain = `${uniqueName('bakery').toLowerCase().replace(/_/g, '-')}.example`;
      await server.gatehouse.federation.store.replaceDomains(owner.organizationId, [domain]);
      const client = await server.createClient({ redirect_uris: [rp.redirectUri] });
      const page = await newPage();
      const brand = new BrandingPage(page);
      await page.goto(authorizationRequest(server.url, client, { domain_hint: domain }).url);
      assert.equal(await brand.brandName.textContent(), 'Lighthouse');

      await page.goto(authorizationRequest(server.url, client).url);
      assert.equal(await brand.brandName.count(), 0, 'an app of no organization looks like Gatehouse');

      const { services, orgs } = server.gatehouse.organizations;
      const email = `${uniqueName('baker')}@example.com`;
      await services.invitations.invite((await userPrincipal(orgs, owner.id))!, { email });
      await page.goto(await invitationLink(server, email));
      assert.equal(await brand.brandName.textContent(), 'Lighthouse');
      assert.equal(await brand.rendered(brand.brandLogo), true);
    });
  });

  describe('theme', () => {
    let themed: TestServer;
    let themeDir: string;
    before(async () => {
      themeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-theme-'));
      fs.writeFileSync(path.join(themeDir, 'terms.njk'), '{% extends "layout.njk" %}{% block content %}<p data-testid="theme/terms">Our own terms.</p>{% endblock %}');
      fs.writeFileSync(path.join(themeDir, 'theme.css'), 'h1 { letter-spacing: 5px; } :root { --page: rgb(250, 240, 230); }');
      themed = await startGatehouse(undefined, { THEME_DIR: themeDir });
    });
    after(async () => {
      await themed?.close();
      fs.rmSync(themeDir, { recursive: true, force: true });
    });

    it('a theme template replaces ours by name and theme.css applies after the base CSS', async () => {
      const page = await newPage();
      await page.goto(`${themed.url}/terms`);
      assert.equal(await page.getByTestId('theme/terms').textContent(), 'Our own terms.');
      await page.goto(`${themed.url}/signup`);
      await page.getByRole('heading', { level: 1, name: 'Create an account', exact: true }).waitFor();
      assert.equal(await page.locator('h1').evaluate((el) => getComputedStyle(el).letterSpacing), '5px');
      assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor), 'rgb(250, 240, 230)');
      await page.goto(`${server.url}/signup`);
      assert.equal(await page.locator('h1').evaluate((el) => getComputedStyle(el).letterSpacing), 'normal', 'another server is not themed');
    });
  });

  describe('errors, 404 and /', () => {
    it('`/` says what the server is and leads to the profile', async () => {
      const page = await newPage();
      await page.goto(`${server.url}/`);
      assert.match((await page.getByTestId('home/about').textContent()) ?? '', /sign-in service/);
      await page.getByTestId('home/profile').click();
      await new SignInPage(page).username.waitFor();
    });

    it('an unknown path is a styled 404 with the request id and the way to the profile; the favicon renders', async () => {
      const page = await newPage();
      const response = await page.goto(`${server.url}/no/such/page`);
      assert.equal(response?.status(), 404);
      assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Page not found');
      assert.equal(await page.getByTestId('error/request-id').textContent(), response?.headers()['x-request-id']);
      assert.equal(await page.locator('main.card').evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(255, 255, 255)', 'styled by gatehouse.css');
      const favicon = await page.request.get(`${server.url}/favicon.ico`);
      assert.equal(favicon.headers()['content-type'], 'image/svg+xml');
      await page.getByTestId('error/back').click();
      await new SignInPage(page).username.waitFor();
    });

    it('an unknown client: plain words, no provider text', async () => {
      const page = await newPage();
      await page.goto(`${server.url}/auth?client_id=nobody&response_type=code&scope=openid&redirect_uri=https://rp.example/cb`);
      const text = (await page.getByTestId('error/invalid_client').textContent()) ?? '';
      assert.match(text, /not registered/);
      assert.doesNotMatch(await page.content(), /client is invalid/i);
    });
  });

  describe('continuity', () => {
    it('sign-up from an app’s sign-in page ends back at the app, which receives a code for the new account (recovery codes downloaded and copied on the way)', async () => {
      const client = await server.createClient({ client_name: 'Recipe Box', redirect_uris: [rp.redirectUri] });
      const { url, verifier } = authorizationRequest(server.url, client, { state: 'continuity' });
      const page = await newPage();
      await page.goto(url);
      await page.getByTestId('link/sign-up').click();
      const signUp = new SignUpPage(page);
      await signUp.waitForHeading('Create an account');
      const username = uniqueName('e2e_cont_');
      await signUp.fill({ email: `${username}@example.com`, username, phoneNumber: '+1 650 253 0000', password: 'Lantern-Quiet-42', company: 'Recipe Labs' });
      await signUp.terms.check();
      await signUp.solveCaptcha();
      await signUp.submit.click();

      const mfa = new MfaPage(page);
      await mfa.waitForHeading(ENROL_HEADING); // straight into the app's sign-in: no second password
      await mfa.choose('Authenticator app');
      const secret = await mfa.secret();
      clock.advance(30_000);
      await mfa.verificationCode.fill(await totpCode(secret, clock.now()));
      await mfa.done.click();
      await mfa.waitForHeading(RECOVERY_CODES_HEADING);
      // Recovery codes: a text file to download, Copy to the clipboard, Print.
      const codes = await mfa.codes();
      assert.equal(codes.length, 10);
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('recovery-codes/download').click()]);
      assert.equal(download.suggestedFilename(), 'gatehouse-recovery-codes.txt');
      assert.deepEqual(fs.readFileSync((await download.path())!, 'utf8').trim().split('\n'), codes);
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
      await page.getByTestId('recovery-codes/copy').click();
      await page.getByTestId('recovery-codes/copied').waitFor();
      assert.deepEqual((await page.evaluate(() => navigator.clipboard.readText())).split('\n'), codes);
      assert.equal(await page.getByTestId('recovery-codes/print').isVisible(), true, 'Print (window.print) once the script runs');
      await mfa.done.click();
      const prompt = new EmailCodePage(page);
      await prompt.waitForHeading('Verify your email');
      await prompt.continueForNow.click();

      await page.waitForURL((u) => u.href.startsWith(`${rp.redirectUri}?`));
      // The browser may also ask the RP for /favicon.ico: the callback is the request with the code.
      const callback = rp.received.find((u) => u.pathname === '/callback' && u.searchParams.get('code'))!;
      assert.equal(callback.searchParams.get('state'), 'continuity');
      const { body } = await redeemCode(server.url, client, page.url(), verifier);
      const account = await server.gatehouse.organizations.orgs.findAccountByUsername(username);
      assert.equal(decodeJwtPayload(body.id_token).sub, account!.id);
    });
  });
});

async function invitationLink(server: TestServer, email: string): Promise<string> {
  const dir = path.join(server.dataDir, 'outbox');
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).sort().reverse()) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8').replace(/=\r?\n/g, '');
    if (!text.includes(email)) continue;
    const link = /https?:\/\/\S+\/invitations\/[A-Za-z0-9_-]+/.exec(text)?.[0];
    if (link) return link;
  }
  throw new Error(`no invitation mailed to ${email}`);
}
