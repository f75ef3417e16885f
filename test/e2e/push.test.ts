// Push approval in a real browser: a person sets up the Gatehouse Authenticator (the reference
// device module enrols with the code on the page), then signs in; the page waits, polling
// without reloading, and continues by itself once the device approves. Without JavaScript the
// "I approved" button does the same.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext } from 'playwright-core';
import { startRelyingParty } from '../helpers/relying-party-server.ts';
import { authorizationRequest } from '../helpers/authorization.ts';
import { startGatehouse, type TestServer } from '../helpers/gatehouse-server.ts';
import { describeBrowser, launchBrowser } from '../helpers/browser.ts';
import { SignInPage } from './pages/sign-in-page.ts';
import { CHALLENGE_HEADING, ENROL_HEADING, MfaPage, RECOVERY_CODES_HEADING } from './pages/mfa-page.ts';
import { createDevice, enrolDevice, type AuthenticatorDevice } from '../../server/authenticator-device.ts';


describeBrowser('e2e: push approval (Gatehouse Authenticator)', () => {
  let server: TestServer;
  let rp: Awaited<ReturnType<typeof startRelyingParty>>;
  let browser: Browser;
  let client: Awaited<ReturnType<TestServer['createClient']>>;
  let user: Awaited<ReturnType<TestServer['createUser']>>;
  let device: AuthenticatorDevice;
  const contexts: BrowserContext[] = [];

  before(async () => {
    browser = await launchBrowser();
    server = await startGatehouse();
    rp = await startRelyingParty();
    client = await server.createClient({ redirect_uris: [rp.redirectUri], first_party: true, client_name: 'Push Demo App' });
    user = await server.createUser({ mfa: false });
  });
  after(async () => {
    await browser?.close();
    await rp?.close();
    await server?.close();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  async function open(options: { javaScriptEnabled?: boolean } = {}) {
    const context = await browser.newContext(options);
    contexts.push(context);
    const page = await context.newPage();
    const { url } = authorizationRequest(server.url, client, { state: randomBytes(8).toString('base64url') });
    const signIn = new SignInPage(page);
    await signIn.open(url);
    await signIn.signIn(user.username, user.password);
    return { page, mfa: new MfaPage(page), errors: collectErrors(page) };
  }

  /** Console errors and CSP violations: the waiting script must run under script-src 'self'. */
  function collectErrors(page: import('playwright-core').Page) {
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    return errors;
  }

  const atRedirectUri = (url: URL) => url.href.startsWith(`${rp.redirectUri}?`);

  it('sets up the app with the code on the page, then signs in by itself when the device approves', async () => {
    const setup = await open();
    await setup.mfa.waitForHeading(ENROL_HEADING);
    await setup.mfa.choose('Gatehouse Authenticator app');
    const code = (await setup.page.getByTestId('push/code').textContent())!.trim();
    assert.ok(await setup.page.getByTestId('push/qr').isVisible(), 'a QR code');
    device = createDevice(await enrolDevice({ code, server: server.url, name: 'Browser test phone' }));
    await setup.mfa.done.click();
    await setup.mfa.waitForHeading(RECOVERY_CODES_HEADING);
    await setup.mfa.done.click();
    await setup.page.waitForURL(atRedirectUri);

    const signIn = await open();
    await signIn.mfa.waitForHeading(CHALLENGE_HEADING);
    const number = Number(await signIn.page.getByTestId('push/number').textContent());
    const [request] = await device.listApprovals();
    assert.ok(request.choices.includes(number));
    assert.equal(request.clientName, 'Push Demo App');

    // The page keeps waiting on its own (no reload, no message) while the device has not answered.
    await signIn.page.evaluate(() => Object.assign(window, { samePage: true })); // a reload would lose it
    await signIn.page.waitForResponse((r) => r.url().endsWith('/mfa/push/status'), { timeout: 10_000 });
    await signIn.page.waitForResponse((r) => r.url().endsWith('/mfa/push/status'), { timeout: 10_000 });
    assert.equal(await signIn.page.evaluate(() => (window as unknown as { samePage?: boolean }).samePage), true, 'polling does not reload the page');
    assert.equal(await signIn.mfa.headingText(), CHALLENGE_HEADING);

    assert.deepEqual(await device.decide(request.id, 'approve', number), { status: 'approved' });
    await signIn.page.waitForURL(atRedirectUri, { timeout: 15_000 });
    assert.ok(new URL(signIn.page.url()).searchParams.get('code'), 'a code for the relying party');
    assert.deepEqual(signIn.errors, [], 'no script or CSP errors');
  });

  it('shows the denial by itself when the device denies', async () => {
    const signIn = await open();
    await signIn.mfa.waitForHeading(CHALLENGE_HEADING);
    const number = Number(await signIn.page.getByTestId('push/number').textContent());
    const request = (await device.listApprovals()).filter((a) => a.choices.includes(number)).at(-1)!;
    assert.deepEqual(await device.decide(request.id, 'deny'), { status: 'denied' });
    await signIn.mfa.message('mfa.push_denied').waitFor({ state: 'visible', timeout: 15_000 });
    assert.equal(await signIn.mfa.headingText(), CHALLENGE_HEADING);
  });

  it('works without JavaScript: "I approved" before the device answers keeps waiting, after it signs in', async () => {
    const signIn = await open({ javaScriptEnabled: false });
    await signIn.mfa.waitForHeading(CHALLENGE_HEADING);
    const approved = signIn.page.getByRole('button', { name: 'I approved', exact: true });
    await approved.click();
    await signIn.mfa.message('mfa.push_pending').waitFor({ state: 'visible' });
    const number = Number(await signIn.page.getByTestId('push/number').textContent());
    // The newest request offering the number (the denied sign-in above has a fresh one waiting too).
    const request = (await device.listApprovals()).filter((a) => a.choices.includes(number)).at(-1)!;
    assert.deepEqual(await device.decide(request.id, 'approve', number), { status: 'approved' });
    await approved.click();
    await signIn.page.waitForURL(atRedirectUri);
  });
});
