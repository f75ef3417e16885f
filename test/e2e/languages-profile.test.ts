// The profile in Norwegian Bokmål, in a real browser: signed in with Accept-Language nb, every
// self-service page (MFA list, add, remove, recovery codes, password, email change and its code,
// permissions and "Logged In Via", recent sign-ins, sessions, apps with access) says <html lang="nb">, shows
// the catalog's Norwegian texts, dates in Norwegian, and none of the page's English texts.
// Selectors are ids, roles and data-testid; texts come from message(code, vars, lang).
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { describeUserAgent, deviceMessage } from '../../accounts/device-description.ts';
import { formatDate, message } from '../../accounts/messages/catalog.ts';
import type { MessageCode } from '../../accounts/messages/language.ts';
import { PASSWORD_HISTORY_DEPTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../accounts/security-constants.ts';
import { totpCode } from '../../accounts/totp.ts';
import { createKnexAppConsentStore } from '../../adapters/app-consent-store.ts';
import { describeBrowser, launchBrowser } from '../helpers/browser.ts';
import { startGatehouse, type TestServer, type TestUser } from '../helpers/gatehouse-server.ts';
import { createTestClock } from '../helpers/self-service.ts';

const NB = 'nb';
const ACCEPT_NB = 'nb-NO,nb;q=0.9,en;q=0.5';

/** A code's text; vars are untyped here because the codes come from lists. */
const text = (code: MessageCode, lang: string, vars?: Record<string, unknown>) => message(code as 'page.cancel', vars as undefined, lang);

/** A date as formatDate() writes it in Norwegian: "1. des. 2026" (and a time after it, for date-times). */
const NB_DATE = /^\d{1,2}\. \p{L}+\.? \d{4}/u;

describeBrowser('e2e: the profile in Norwegian Bokmål', () => {
  const clock = createTestClock();
  let server: TestServer;
  let browser: Browser;
  let user: TestUser;
  let page: Page;
  const contexts: BrowserContext[] = [];

  before(async () => {
    browser = await launchBrowser();
    server = await startGatehouse(undefined, {}, { clock: clock.now });
    user = await server.createUser();
    // An app the person allowed, so "Apps with access" has a row (its scopes and date).
    const app = await server.createClient({ client_name: 'Notatbok', redirect_uris: ['https://rp.example/cb'] });
    await createKnexAppConsentStore(server.gatehouse.db.knex).remember(user.id, app.client_id, ['openid', 'email', 'offline_access'], []);
    const context = await browser.newContext({ extraHTTPHeaders: { 'Accept-Language': ACCEPT_NB } });
    contexts.push(context);
    page = await context.newPage();
    await signIn(page, user);
  });
  after(async () => {
    for (const context of contexts.splice(0)) await context.close();
    await browser?.close();
    await server?.close();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await page?.screenshot({ path: `/tmp/languages-profile-failed-${this.currentTest.title.replace(/\W+/g, "-")}.png`, fullPage: true }).catch(() => {});
  });

  const visible = async (locator: ReturnType<Page['locator']>) => ((await locator.first().innerText()) ?? '').replace(/\s+/g, ' ').trim();
  const testid = (id: string) => visible(page.getByTestId(id));

  async function signIn(p: Page, u: TestUser) {
    await p.goto(`${server.url}/account`);
    assert.equal(await p.locator('html').getAttribute('lang'), NB);
    await p.locator('#username').fill(u.username);
    await p.locator('#password').fill(u.password);
    await Promise.all([p.waitForURL(/\/interaction\//), p.locator('form button[type=submit]').first().click()]);
    clock.advance(30_000); // one TOTP code per 30-second step
    await p.locator('#code').fill(await totpCode(u.totpSecret!, clock.now()));
    await Promise.all([p.waitForURL((url) => url.pathname === '/account'), p.locator('form button[type=submit]').first().click()]);
  }

  /**
   * The page is in Norwegian: <html lang="nb">, the heading, and no English text of `codes` (the
   * page's own texts; a code whose English and Norwegian agree, like "App", proves nothing and is skipped).
   */
  async function expectNorwegian(title: MessageCode, codes: MessageCode[], titleVars?: Record<string, unknown>) {
    assert.equal(await page.locator('html').getAttribute('lang'), NB, `<html lang> on ${page.url()}`);
    const heading = await visible(page.getByRole('heading', { level: 1 }));
    assert.equal(heading, text(title, NB, titleVars), `heading on ${page.url()}`);
    assert.notEqual(heading, text(title, 'en', titleVars));
    const body = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
    const html = await page.locator('main').innerHTML();
    for (const code of [title, ...codes]) {
      const english = text(code, 'en');
      if (english === text(code, NB)) continue;
      // As a whole word: "Result" may sit inside Norwegian "Resultat".
      const word = new RegExp(`(?<![\\p{L}\\p{N}])${english.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}])`, 'u');
      assert.ok(!word.test(body) && !html.includes(`="${english}"`), `English "${english}" (${code}) on ${page.url()}`);
    }
    assert.doesNotMatch(body, /\bUTC\b/, 'dates are formatted for the reader, not ISO in UTC');
  }

  it('MFA: the methods, their kind and dates, adding, recovery codes', async () => {
    await page.goto(`${server.url}/account/mfa`);
    await expectNorwegian('page.title.configure_multi_factor_authentication_mf', [
      'page.account_mfa.methods', 'page.account_mfa.kind', 'page.account_mfa.added', 'page.account.last_used', 'page.account_mfa.default',
      'page.account_mfa.rename', 'page.account_mfa.remove', 'page.account_mfa.add_heading', 'page.account_mfa.recovery_heading',
      'page.account_mfa.regenerate', 'page.account.never', 'mfa.kind.totp',
    ]);
    const [method] = await server.gatehouse.mfa.listMethods(user.id);
    const row = `mfa/method/${method!.id}`;
    assert.equal(await visible(page.getByTestId(row).getByTestId('mfa/method/kind')), text('mfa.kind.totp', NB));
    assert.equal(await visible(page.getByTestId(row).getByTestId('mfa/method/added')), formatDate(method!.createdAt, NB, 'date'));
    assert.match(await visible(page.getByTestId(row).getByTestId('mfa/method/last-used')), NB_DATE, 'used at this sign-in');
    assert.equal(await visible(page.getByTestId(row).getByTestId('mfa/method/default')), text('page.account_mfa.default', NB));
    // The narrow-screen labels and the icon buttons' names are Norwegian too.
    assert.equal(await page.getByTestId(row).locator('td').nth(1).getAttribute('data-label'), text('page.account_mfa.kind', NB));
    assert.equal(await page.getByTestId(row).locator('button.danger').getAttribute('aria-label'), text('page.account_mfa.remove_method', NB, { name: method!.name }));
    assert.equal(await testid('mfa/add/totp'), text('page.account_mfa.add', NB, { method: { code: 'mfa.kind.totp' } }));
    assert.equal(await testid('mfa/recovery-left'), text('page.account_mfa.recovery_left', NB, { count: 0 }));

    await page.getByTestId('mfa/add/totp').click();
    await page.waitForURL(/\/account\/mfa\/add\/totp$/);
    // The method's own set-up form (mfa/totp-enrol.njk) is inside the profile page: Norwegian too.
    await expectNorwegian('page.title.add_method', ['page.account_mfa.back', 'page.mfa.code', 'page.mfa.totp.enter_code', 'page.mfa.email_otp.done'], { method: { code: 'mfa.kind.totp' } });
    assert.equal(await testid('link/back-to-methods'), text('page.account_mfa.back', NB));
    assert.equal(await visible(page.locator('label[for=code]')), text('page.mfa.code', NB));
  });

  it('MFA: removing asks first, in Norwegian', async () => {
    await page.goto(`${server.url}/account/mfa`);
    const [method] = await server.gatehouse.mfa.listMethods(user.id);
    await Promise.all([page.waitForURL(/\/remove$/), page.getByTestId(`mfa/method/${method!.id}`).locator('button.danger').click()]);
    await expectNorwegian('page.title.remove_verification_method', ['page.account_mfa.yes', 'page.account_mfa.keep']);
    assert.equal(await testid('mfa/remove-question'), text('page.account_mfa.remove_confirm', NB, { name: method!.name, kind: { code: 'mfa.kind.totp' } }));
    assert.equal(await page.getByTestId('mfa/remove-question').locator('strong').innerText(), method!.name);
    assert.equal(await visible(page.locator('button[name=confirm]')), text('page.account_mfa.yes', NB));
    await Promise.all([page.waitForURL(/\/account\/mfa$/), page.getByTestId('mfa/keep').click()]);
  });

  it('recovery codes: the page shown once, with its buttons', async () => {
    await page.goto(`${server.url}/account/mfa`);
    await Promise.all([page.waitForURL(/\/recovery-codes$/), page.getByTestId('mfa/regenerate-recovery-codes').click()]);
    await expectNorwegian('page.title.save_your_recovery_codes', [
      'page.recovery_codes.intro', 'page.recovery_codes.download', 'page.recovery_codes.copy', 'page.recovery_codes.print', 'page.recovery_codes.all', 'page.mfa.email_otp.done',
    ]);
    assert.equal(await testid('recovery-codes/download'), text('page.recovery_codes.download', NB));
    assert.equal(await testid('recovery-codes/copy'), text('page.recovery_codes.copy', NB));
    assert.equal(await testid('recovery-codes/done'), text('page.mfa.email_otp.done', NB));
    assert.equal(await visible(page.locator('label[for=codes-text]')), text('page.recovery_codes.all', NB));
    const count = await page.getByTestId('recovery-codes').locator('li').count();
    await Promise.all([page.waitForURL(/\/account\/mfa\??$/), page.getByTestId('recovery-codes/done').click()]);
    assert.equal(await testid('mfa/recovery-left'), text('page.account_mfa.recovery_left', NB, { count }), 'the new codes, counted in Norwegian');
  });

  it('change password: labels, the rules in the hint, the button', async () => {
    await page.goto(`${server.url}/account/password`);
    await expectNorwegian('page.title.change_password', ['page.account_password.current', 'page.account_password.new', 'page.account_password.submit', 'page.account_password.signs_out']);
    assert.equal(await visible(page.locator('label[for=currentPassword]')), text('page.account_password.current', NB));
    assert.equal(await visible(page.locator('label[for=newPassword]')), text('page.account_password.new', NB));
    assert.equal(await visible(page.locator('#newPassword-hint')), text('page.account_password.hint', NB, { min: PASSWORD_MIN_LENGTH, max: PASSWORD_MAX_LENGTH, previous: PASSWORD_HISTORY_DEPTH }));
    assert.equal(await visible(page.locator('form[action="/account/password"] button[type=submit]')), text('page.account_password.submit', NB));
  });

  it('change email: the current address in the sentence, then the code page', async () => {
    const email = `${user.username}@example.com`;
    await page.goto(`${server.url}/account/email`);
    await expectNorwegian('page.title.change_your_email_address', ['page.account_email.how', 'page.account_email.new', 'page.save_changes', 'page.account.back_to_contact']);
    assert.equal(await testid('account-email/current'), `${text('page.account_email.current', NB, { email })} ${text('page.account_email.how', NB)}`);
    assert.equal(await page.getByTestId('account-email/current').locator('strong').innerText(), email);
    assert.equal(await visible(page.locator('label[for=email]')), text('page.account_email.new', NB));
    await page.locator('#email').fill(`ny-${email}`);
    await Promise.all([page.waitForURL(/\/account\/email\/confirm$/), page.locator('form[action="/account/email"] button[type=submit]').click()]);
    await expectNorwegian('page.title.confirm_your_new_email_address', ['page.account.back_to_contact', 'page.mfa.code', 'page.email_code.confirm']);
    assert.equal(await testid('link/back-to-contact'), text('page.account.back_to_contact', NB));
    assert.equal(await visible(page.locator('label[for=code]')), text('page.mfa.code', NB));
    assert.equal(await visible(page.locator('form[action="/account/email/confirm"] button[type=submit]')), text('page.email_code.confirm', NB));
  });

  it('permissions: organization, the role and what it permits, "Logged In Via"', async () => {
    await page.goto(`${server.url}/account/permissions`);
    await expectNorwegian('page.title.permissions', [
      'page.title.organization', 'page.account_permissions.org_id', 'page.account_permissions.domain', 'page.account_permissions.roles',
      'page.account_permissions.role', 'page.account_permissions.permits', 'page.account_permissions.logged_in_via', 'role.owner', 'permission.organization_read',
      'page.account_permissions.idp', 'page.account_permissions.profile', 'page.account_permissions.this_session',
    ]);
    assert.equal(await visible(page.getByTestId('role/owner').locator('th')), text('role.owner', NB));
    assert.equal(await testid('permission/organization:read'), `${text('permission.organization_read', NB)} organization:read`);
    assert.equal(await testid('permissions/logged-in-via'), text('page.account_permissions.via_password_with', NB, { method: { code: 'page.account_permissions.method.totp' } }));
    if ((await page.getByTestId('linked-profiles').count()) > 0) {
      assert.match(await testid('linked-profile/last-used'), NB_DATE);
      assert.equal(await testid('linked-profile/current'), text('page.account_permissions.this_session', NB));
    }
  });

  it('recent sign-ins: the result, when, and the intro with its link', async () => {
    await page.goto(`${server.url}/account/sign-ins`);
    await expectNorwegian('page.title.recent_sign_ins', [
      'page.account_sign_ins.when', 'page.account_sign_ins.result', 'page.account_sign_ins.from', 'page.sessions.device', 'page.account_sign_ins.sessions_link', 'place.loopback',
    ]);
    const intro = text('page.account_sign_ins.intro', NB, { sessions: text('page.account_sign_ins.sessions_link', NB) });
    assert.equal(await testid('sign-ins/intro'), intro);
    assert.equal(await visible(page.getByTestId('sign-ins/intro').locator('a')), text('page.account_sign_ins.sessions_link', NB));
    const success = page.getByTestId('sign-in/success').first();
    assert.equal(await visible(success.getByTestId('sign-in/result')), text('page.sessions.signed_in', NB));
    assert.match(await visible(success.getByTestId('sign-in/when')), NB_DATE);
    assert.equal(await success.locator('td').first().getAttribute('data-label'), text('page.account_sign_ins.when', NB));
    // The device and the place in Norwegian words (the browser's and system's names stay as they are).
    const device = deviceMessage(describeUserAgent(await page.evaluate(() => navigator.userAgent)));
    assert.equal(await visible(success.getByTestId('sign-in/device')), text(device.code, NB, device.vars));
    assert.equal(await visible(success.getByTestId('sign-in/place')), text('place.loopback', NB));
  });

  it('sessions: this device, how it signed in and when, in Norwegian words', async () => {
    await page.goto(`${server.url}/account/sessions`);
    await expectNorwegian('page.title.sessions', ['page.sessions.intro', 'page.sessions.device', 'page.sessions.where', 'page.sessions.signed_in', 'page.sessions.last_active', 'page.sessions.how', 'page.sessions.this_device', 'place.loopback']);
    const mine = page.getByTestId('session/current');
    const device = deviceMessage(describeUserAgent(await page.evaluate(() => navigator.userAgent)));
    assert.equal(await visible(mine.getByTestId('session/device')), text(device.code, NB, device.vars));
    assert.equal(await visible(mine.getByTestId('session/place')), text('place.loopback', NB));
    assert.equal(await visible(mine.getByTestId('session/how')), text('sign_in_method.password_and', NB, { method: { code: 'page.account_permissions.method.totp' } }));
    assert.match(await visible(mine.locator('td').nth(2)), NB_DATE);
    assert.equal(await mine.locator('td').nth(2).getAttribute('data-label'), text('page.sessions.signed_in', NB));
  });

  it('apps with access: what the app can do, since when, and "Remove access"', async () => {
    await page.goto(`${server.url}/account/apps`);
    await expectNorwegian('page.title.apps_with_access', [
      'page.account_apps.intro', 'page.account_apps.can', 'page.account_apps.allowed', 'page.account_apps.action', 'page.account_apps.remove',
      'page.account_apps.scope.openid', 'page.consent.scope.email', 'page.account_apps.scope.offline_access',
    ]);
    const row = page.locator('[data-testid^="app-access/"][data-testid$="/remove"]').first();
    assert.equal(await visible(row), text('page.account_apps.remove', NB));
    const scopes = await page.locator('ul.scopes li').allInnerTexts();
    assert.deepEqual(scopes.map((s) => s.trim()).sort(), [text('page.account_apps.scope.openid', NB), text('page.consent.scope.email', NB), text('page.account_apps.scope.offline_access', NB)].sort());
    assert.match(await visible(page.locator('[data-testid$="/granted"]')), NB_DATE);
    // Removing it: the notice and the empty table, in Norwegian.
    await Promise.all([page.waitForURL(/done=removed/), row.click()]);
    assert.equal(await testid('message/app_access.removed'), text('app_access.removed', NB));
    assert.equal(await testid('apps-with-access/none'), text('page.account_apps.none', NB));
    await expectNorwegian('page.title.apps_with_access', ['page.account_apps.none', 'app_access.removed']);
  });
});
