// Languages in a real browser: every page family (sign-in, sign-up, forgot, MFA, profile, Access
// Management) in English and Norwegian Bokmål, with <html lang> following, and the order of the
// choice: the app's ui_locales, then the language the person picked (the control on every page, no
// JavaScript needed), then Accept-Language. Selectors are ids, roles and data-testid, never English.
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { totpCode } from '../../accounts/totp.ts';
import { describeBrowser, launchBrowser } from '../helpers/browser.ts';
import { startGatehouse, type TestServer, type TestUser } from '../helpers/gatehouse-server.ts';
import { authorizationRequest } from '../helpers/authorization.ts';
import { createTestClock } from '../helpers/self-service.ts';
import { message } from '../../accounts/messages/catalog.ts';

const text = (code: Parameters<typeof message>[0], lang: string) => message(code as 'page.sign_in.submit', undefined, lang);

describeBrowser('e2e: languages (English and Norsk bokmål)', () => {
  const clock = createTestClock();
  let server: TestServer;
  let browser: Browser;
  let client: Awaited<ReturnType<TestServer['createClient']>>;
  const contexts: BrowserContext[] = [];

  before(async () => {
    browser = await launchBrowser();
    server = await startGatehouse(undefined, {}, { clock: clock.now });
    client = await server.createClient({ redirect_uris: ['https://rp.example/cb'], first_party: true });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  async function browse(options: { acceptLanguage?: string; javaScriptEnabled?: boolean } = {}): Promise<Page> {
    // The header itself (a locale override would also set it, but takes one tag, not a weighted list).
    const context = await browser.newContext({
      extraHTTPHeaders: options.acceptLanguage ? { 'Accept-Language': options.acceptLanguage } : {},
      javaScriptEnabled: options.javaScriptEnabled ?? true,
    });
    contexts.push(context);
    return context.newPage();
  }

  const lang = (page: Page) => page.locator('html').getAttribute('lang');
  const heading = async (page: Page) => ((await page.locator('h1').textContent()) ?? '').trim();

  async function expectPage(page: Page, language: string, title: Parameters<typeof text>[0]) {
    assert.equal(await lang(page), language, `<html lang> on ${page.url()}`);
    assert.equal(await heading(page), text(title, language), `heading on ${page.url()}`);
  }

  /** Clicks a language in the control at the foot of the page (a plain form post). */
  async function pick(page: Page, tag: string) {
    await Promise.all([page.waitForLoadState('load'), page.getByTestId(`language/${tag}`).click()]);
    await page.waitForLoadState('load');
  }

  async function signIn(page: Page, user: TestUser, language: string) {
    await expectPage(page, language, 'page.title.sign_in');
    await page.locator('#username').fill(user.username);
    await page.locator('#password').fill(user.password);
    await Promise.all([page.waitForURL(/\/interaction\//), page.locator('form button[type=submit]').first().click()]);
    await expectPage(page, language, 'page.title.verify_its_you');
    assert.equal(((await page.locator('label[for=code]').textContent()) ?? '').trim(), text('page.mfa.code', language));
    clock.advance(30_000); // one TOTP code per 30-second step
    await page.locator('#code').fill(await totpCode(user.totpSecret!, clock.now()));
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/interaction/')), page.locator('form button[type=submit]').first().click()]);
  }

  for (const [language, acceptLanguage] of [['en', 'en-GB,en;q=0.9'], ['nb', 'nb-NO,nb;q=0.9,en;q=0.5']] as const) {
    it(`${language}: sign-up and forgot-credentials pages follow Accept-Language (${acceptLanguage})`, async () => {
      const page = await browse({ acceptLanguage, javaScriptEnabled: false });
      await page.goto(`${server.url}/signup`);
      await expectPage(page, language, 'page.title.create_an_account');
      assert.equal(((await page.locator('label[for=company]').textContent()) ?? '').trim(), text('page.field.company', language));
      assert.equal(((await page.locator('form[action="/signup"] button[type=submit]').textContent()) ?? '').trim(), text('page.sign_up.submit', language));
      await page.goto(`${server.url}/forgot`);
      await expectPage(page, language, 'page.title.forgot_your_credentials');
      await page.locator('#identifier').fill('');
      await page.locator('form[action="/forgot"] button[type=submit]').click();
      // A message from the catalog, selected by its code, in the page's language.
      const required = page.getByTestId('message/forgot.identifier_required');
      assert.equal(((await required.textContent()) ?? '').trim(), text('forgot.identifier_required', language));
    });

    it(`${language}: sign-in, MFA, the profile and Access Management`, async () => {
      const user = await server.createUser();
      const page = await browse({ acceptLanguage });
      await page.goto(`${server.url}/account`);
      await signIn(page, user, language);
      await expectPage(page, language, 'page.title.your_profile');
      assert.equal(((await page.getByTestId('tab/contact').textContent()) ?? '').trim(), text('page.account.contact', language));
      await page.goto(`${server.url}/admin/users`);
      await expectPage(page, language, 'page.title.users');
      assert.equal(((await page.getByTestId('nav/groups').textContent()) ?? '').trim(), text('page.title.business_groups', language));
    });
  }

  it('the order: ui_locales beats an earlier pick, which beats Accept-Language; a pick during the sign-in wins', async () => {
    const page = await browse({ acceptLanguage: 'nb-NO,nb' });
    // Accept-Language alone.
    await page.goto(`${server.url}/forgot`);
    await expectPage(page, 'nb', 'page.title.forgot_your_credentials');
    // The control works without JavaScript and is remembered: picked English beats Accept-Language nb.
    await pick(page, 'en');
    assert.match(page.url(), /\/forgot$/, 'back on the same page');
    await expectPage(page, 'en', 'page.title.forgot_your_credentials');
    await page.goto(`${server.url}/signup`);
    await expectPage(page, 'en', 'page.title.create_an_account');
    // The app asks for nb: ui_locales beats the earlier pick.
    await page.goto(authorizationRequest(server.url, client, { ui_locales: 'nb en' }).url);
    await expectPage(page, 'nb', 'page.title.sign_in');
    // The person answers the app's guess on this sign-in page: their pick wins from now on.
    await pick(page, 'en');
    assert.match(new URL(page.url()).pathname, /^\/interaction\/[^/]+$/, 'back on the sign-in step');
    await expectPage(page, 'en', 'page.title.sign_in');
  });

  it('ui_locales beats Accept-Language; an unsupported ui_locales falls back to Accept-Language', async () => {
    const page = await browse({ acceptLanguage: 'en-US,en' });
    await page.goto(authorizationRequest(server.url, client, { ui_locales: 'nb-NO' }).url);
    await expectPage(page, 'nb', 'page.title.sign_in');
    const other = await browse({ acceptLanguage: 'nb' });
    await other.goto(authorizationRequest(server.url, client, { ui_locales: 'de fr', claims_locales: 'de' }).url);
    await expectPage(other, 'nb', 'page.title.sign_in');
  });

  it('discovery advertises the languages', async () => {
    const doc = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json();
    assert.deepEqual(doc.ui_locales_supported, ['en', 'nb']);
    assert.deepEqual(doc.claims_locales_supported, ['en', 'nb']);
  });
});
