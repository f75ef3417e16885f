// Sessions in Chromium: one person in two browsers sees both on Profile → Sessions ("This device" on
// the one in hand), "Sign out of all other sessions" signs the other browser out (its next
// authorization request asks for the password, its refresh token is refused at /token); an
// administrator signs a user's session out; the Sign out control goes back to the sign-in page
// (with JavaScript off too); the Audit Log shows names. Each browser context has its own User-Agent,
// as two devices would. The clock moves for each TOTP code; nobody sleeps.
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { totpCode } from '../../accounts/totp.ts';
import { authorizationRequest, redeemCode } from '../helpers/authorization.ts';
import { closeContextsAfterEach, describeBrowser, launchBrowser } from '../helpers/browser.ts';
import { startGatehouse, type TestServer, type TestUser } from '../helpers/gatehouse-server.ts';
import { addMember } from '../helpers/organization-fixtures.ts';
import { startRelyingParty, type RelyingPartyServer } from '../helpers/relying-party-server.ts';
import { createTestClock } from '../helpers/self-service.ts';
import { CHALLENGE_HEADING, MfaPage } from './pages/mfa-page.ts';
import { SessionsPage } from './pages/sessions-page.ts';
import { SignInPage } from './pages/sign-in-page.ts';

const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0';
const CHROME_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

describeBrowser('e2e: sessions', () => {
  const clock = createTestClock();
  let server: TestServer;
  let rp: RelyingPartyServer;
  let browser: Browser;
  const contexts = closeContextsAfterEach('sessions');

  before(async () => {
    browser = await launchBrowser();
    rp = await startRelyingParty();
    server = await startGatehouse(undefined, {}, { clock: clock.now });
  });
  after(async () => {
    await browser?.close();
    await rp?.close();
    await server?.close();
  });

  async function device(userAgent: string, options: { javaScriptEnabled?: boolean } = {}): Promise<Page> {
    const context = await browser.newContext({ userAgent, ...options });
    contexts.push(context);
    return context.newPage();
  }

  /** On the sign-in page: password, then the authenticator code. */
  async function signIn(page: Page, user: TestUser) {
    const signInPage = new SignInPage(page);
    if ((await signInPage.username.count()) > 0 && (await signInPage.username.inputValue()) === '') await signInPage.username.fill(user.username);
    await signInPage.password.fill(user.password);
    await signInPage.submit.click();
    const mfa = new MfaPage(page);
    await mfa.waitForHeading(CHALLENGE_HEADING);
    clock.advance(30_000); // one TOTP code per 30 s step
    await mfa.enterCode(await totpCode(user.totpSecret!, clock.now()));
  }

  async function open(page: Page, user: TestUser, path: string) {
    await page.goto(`${server.url}${path}`);
    await signIn(page, user);
    await page.waitForURL((url) => url.pathname === path.split('?')[0]);
  }

  const asksForPassword = async (page: Page) => {
    await page.goto(`${server.url}/account`);
    const signInPage = new SignInPage(page);
    assert.equal(await signInPage.isShown(), true, `the sign-in page, at ${page.url()}`);
    assert.equal(await signInPage.password.count(), 1);
  };

  it('two browsers: both listed, "This device" on this one; "Sign out of all other sessions" signs the other out and its refresh token is refused', async () => {
    const user = await server.createUser();
    const client = await server.createClient({ client_name: 'Ledger', redirect_uris: [rp.redirectUri] });
    // The desktop signs in to Ledger (which gets a refresh token) and has the profile open.
    const desktop = await device(FIREFOX_WINDOWS);
    const request = authorizationRequest(server.url, client, { scope: 'openid offline_access', prompt: 'consent' });
    await desktop.goto(request.url);
    await signIn(desktop, user);
    await desktop.getByRole('button', { name: 'Allow', exact: true }).click(); // offline_access asks for consent
    await desktop.waitForURL((url) => url.href.startsWith(rp.redirectUri));
    const tokens = await redeemCode(server.url, client, desktop.url(), request.verifier);
    assert.ok(tokens.body.refresh_token, JSON.stringify(tokens.body));
    await desktop.goto(`${server.url}/account/sessions`);

    const laptop = await device(CHROME_MAC);
    await open(laptop, user, '/account/sessions');
    const sessions = new SessionsPage(laptop);
    assert.equal(await sessions.rows.count(), 2);
    assert.equal(await sessions.current.getByTestId('session/device').textContent(), 'Chrome 120 on macOS Catalina');
    assert.equal(await sessions.current.getByTestId('session/this-device').count(), 1, '"This device"');
    const other = sessions.row('Firefox 121 on Windows 10');
    assert.equal(await other.getByTestId('session/apps').textContent(), 'Ledger');
    assert.equal(await other.getByTestId('session/how').textContent(), 'Password and authenticator app');
    assert.equal((await other.getByTestId('session/place').textContent())?.trim(), 'This computer (loopback)');
    await laptop.screenshot({ path: '/tmp/sessions.png', fullPage: true });

    await sessions.endOthers.click();
    await sessions.message('session.ended_others').waitFor();
    assert.equal(await sessions.rows.count(), 1);

    await asksForPassword(desktop);
    const refreshed = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token }),
    });
    assert.equal(refreshed.status, 400);
    assert.equal(((await refreshed.json()) as { error: string }).error, 'invalid_grant');
    // This device is still signed in.
    await laptop.reload();
    assert.equal(await sessions.current.count(), 1);
  });

  it('an administrator signs one of a user’s sessions out from Access Management → Users', async () => {
    const owner = await server.createUser({ company: 'Sessions Inc' });
    const user = await addMember(server, { organizationId: owner.organizationId });
    const phone = await device(FIREFOX_WINDOWS);
    await open(phone, user, '/account');
    const admin = await device(CHROME_MAC);
    await open(admin, owner, `/admin/users/${user.id}`);
    const sessions = new SessionsPage(admin);
    await admin.getByRole('heading', { level: 2, name: 'Sessions', exact: true }).waitFor();
    await sessions.end('Firefox 121 on Windows 10');
    await sessions.message('user.session_ended').waitFor();
    assert.equal(await sessions.rows.count(), 0);
    await asksForPassword(phone);
  });

  for (const javaScriptEnabled of [true, false]) {
    it(`the Sign out control on profile and admin pages goes back to the sign-in page${javaScriptEnabled ? '' : ' (JavaScript off)'}`, async () => {
      const user = await server.createUser();
      const page = await device(CHROME_MAC, { javaScriptEnabled });
      await open(page, user, '/admin/users');
      const sessions = new SessionsPage(page);
      assert.equal(await sessions.signOut.count(), 1, 'on an admin page');
      await page.goto(`${server.url}/account/sessions`);
      assert.equal(await sessions.signOut.count(), 1, 'on a profile page');
      await sessions.signOut.click();
      await page.waitForURL((url) => url.pathname.startsWith('/interaction/'));
      assert.equal(await new SignInPage(page).isShown(), true);
      await asksForPassword(page);
    });
  }

  it('the Audit Log shows usernames with the id on hover, filtered by username', async () => {
    const owner = await server.createUser({ company: 'Audit Names' });
    const user = await addMember(server, { organizationId: owner.organizationId });
    const phone = await device(FIREFOX_WINDOWS);
    await open(phone, user, '/account');
    const admin = await device(CHROME_MAC);
    await open(admin, owner, `/admin/users/${user.id}`);
    await new SessionsPage(admin).end('Firefox 121 on Windows 10');
    await admin.goto(`${server.url}/admin/audit`);
    await admin.getByLabel('Username (as actor or target)').fill(user.username);
    await admin.getByRole('button', { name: 'Filter', exact: true }).click();
    const ended = admin.getByTestId('audit/session.end').first();
    const actor = ended.getByTestId('audit/actor').locator('span');
    const target = ended.getByTestId('audit/target').locator('span');
    assert.equal(await actor.textContent(), owner.username);
    assert.equal(await actor.getAttribute('title'), owner.id);
    assert.equal(await target.textContent(), user.username);
    assert.equal(await target.getAttribute('title'), user.id);
    const rows = admin.locator('[data-testid="audit-events"] tbody tr');
    for (let i = 0; i < (await rows.count()); i++) {
      assert.match((await rows.nth(i).textContent()) ?? '', new RegExp(user.username), 'only events about that person');
    }
  });
});
