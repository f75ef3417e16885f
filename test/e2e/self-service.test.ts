// Self-service journeys in Chromium: sign-up → sign-in; forgot username; forgot password → reset →
// sign in with the new password; verify email; change email; change password; the
// re-authentication prompt once the 30-minute window has passed (the clock moves; nobody sleeps).
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { totpCode } from '../../accounts/totp.ts';
import { startGatehouse, uniqueName, type TestServer, type TestUser } from '../helpers/gatehouse-server.ts';
import { closeContextsAfterEach, describeBrowser, launchBrowser } from '../helpers/browser.ts';
import { createTestClock } from '../helpers/self-service.ts';
import { codeIn, resetLinkIn, startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.ts';
import { MfaPage, CHALLENGE_HEADING, ENROL_HEADING, RECOVERY_CODES_HEADING } from './pages/mfa-page.ts';
import { SignInPage } from './pages/sign-in-page.ts';
import { EmailCodePage, ForgotPage, ProfilePage, ResetPasswordPage, SignUpPage } from './pages/self-service-pages.ts';

describeBrowser('e2e: self-service journeys', () => {
  const clock = createTestClock();
  let server: TestServer;
  let sink: SmtpSink;
  let browser: Browser;
  // A failed journey leaves a picture of where it stopped.
  const contexts = closeContextsAfterEach('self-service');

  before(async () => {
    browser = await launchBrowser();
    sink = await startSmtpSink();
    server = await startGatehouse(undefined, { SMTP_URL: sink.url }, { clock: clock.now });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await sink?.close();
  });

  async function newPage(options: { javaScriptEnabled?: boolean } = {}): Promise<Page> {
    const context = await browser.newContext(options);
    contexts.push(context);
    return context.newPage();
  }

  const mailTo = (address: string, subject: RegExp) =>
    sink.waitFor((m) => (m.to as { text: string } | undefined)?.text === address && subject.test(m.subject ?? ''));

  /** On the sign-in page: password, then the authenticator code, then "Continue for now" if asked to verify. */
  async function signIn(page: Page, user: { username: string; password: string; totpSecret?: string }) {
    const signInPage = new SignInPage(page);
    if ((await signInPage.username.count()) > 0 && (await signInPage.username.inputValue()) === '') await signInPage.username.fill(user.username);
    await signInPage.password.fill(user.password);
    await signInPage.submit.click();
    const mfa = new MfaPage(page);
    await mfa.waitForHeading(CHALLENGE_HEADING);
    clock.advance(30_000); // one TOTP code per 30 s step
    await mfa.enterCode(await totpCode(user.totpSecret!, clock.now()));
  }

  async function openProfile(page: Page, user: TestUser, path = '/account') {
    const profile = new ProfilePage(page);
    await profile.open(`${server.url}${path}`);
    await signIn(page, user);
    await page.waitForURL((url) => url.pathname === path);
    return profile;
  }

  it('sign-up from the sign-in page: creates an account with a captcha solved in the browser, then continues that sign-in with MFA set up', async () => {
    const page = await newPage();
    const signInPage = new SignInPage(page);
    await page.goto(`${server.url}/account`);
    await page.getByRole('link', { name: 'Create an account', exact: true }).click();
    const signUp = new SignUpPage(page);
    await signUp.waitForHeading('Create an account');
    const username = uniqueName('e2e_');
    const input = { email: `${username}@example.com`, username, phoneNumber: '+1 650 253 0000', password: 'Lantern-Quiet-42', company: 'Umbrella Labs' };
    await signUp.fill({ ...input, password: 'short' });
    await signUp.terms.check();
    await signUp.solveCaptcha();
    await signUp.submit.click();
    await signUp.message('password.length').waitFor();
    assert.equal(await signUp.username.inputValue(), username, 'keeps what was typed');
    assert.equal(await signUp.password.inputValue(), '', 'never the password');
    await page.screenshot({ path: '/tmp/sign-up-errors.png', fullPage: true });

    await signUp.password.fill(input.password);
    await signUp.terms.check();
    await signUp.solveCaptcha();
    await signUp.submit.click();
    // Started from the profile's sign-in page: back to that sign-in as the new account, MFA set-up next (no second password).
    const mfa = new MfaPage(page);
    await mfa.waitForHeading(ENROL_HEADING);
    await mfa.choose('Authenticator app');
    const secret = await mfa.secret();
    clock.advance(30_000);
    await mfa.verificationCode.fill(await totpCode(secret, clock.now()));
    await mfa.done.click();
    await mfa.waitForHeading(RECOVERY_CODES_HEADING);
    await mfa.done.click();
    const prompt = new EmailCodePage(page);
    await prompt.waitForHeading('Verify your email');
    await prompt.continueForNow.click();
    const profile = new ProfilePage(page);
    await page.waitForURL((url) => url.pathname === '/account');
    assert.equal(await profile.text(profile.username), username);
    assert.equal(await profile.text(profile.emailStatus), 'Not verified');
    await profile.permissionsTab.click();
    assert.equal(await profile.text(page.getByTestId('permissions/org-name')), 'Umbrella Labs');
    assert.equal(await page.getByTestId('role/owner').count(), 1);
  });

  it('forgot username: an email address gets the list of its usernames', async () => {
    const email = `${uniqueName('forgot')}@example.com`;
    const a = await server.createUser({ email });
    const b = await server.createUser({ email });
    const page = await newPage();
    await page.goto(`${server.url}/account`);
    await page.getByRole('link', { name: 'Forgot your username or password?', exact: true }).click();
    const forgot = new ForgotPage(page);
    await forgot.waitForHeading('Forgot your credentials');
    await forgot.request(email);
    await forgot.message('forgot.sent').waitFor();
    const mail = await mailTo(email, /usernames/);
    assert.ok(mail.text?.includes(a.username) && mail.text?.includes(b.username));
  });

  for (const javaScriptEnabled of [true, false]) {
    it(`forgot password → reset → sign in with the new password${javaScriptEnabled ? '' : ' (JavaScript off)'}`, async () => {
      const user = await server.createUser();
      const page = await newPage({ javaScriptEnabled });
      const forgot = new ForgotPage(page);
      await forgot.open(`${server.url}/forgot`);
      await forgot.request(user.username);
      await forgot.message('forgot.sent').waitFor();
      const link = resetLinkIn(await mailTo(`${user.username}@example.com`, /Reset your Gatehouse password/));

      const reset = new ResetPasswordPage(page);
      const response = await reset.open(link);
      assert.equal(response.headers()['referrer-policy'], 'no-referrer');
      await reset.waitForHeading('Reset your password');
      await reset.reset(user.password);
      await reset.message('password.reused').waitFor();
      await reset.reset('Brand-New-Pass-1');
      await reset.message('password.reset_done').waitFor();
      await reset.signIn.click();
      await signIn(page, { ...user, password: 'Brand-New-Pass-1' });
      await page.waitForURL((url) => url.pathname === '/account');
      assert.equal(await new ProfilePage(page).text(new ProfilePage(page).username), user.username);
    });
  }

  it('verify email: Contact Info → "Verify Email" → the emailed code → "Confirm"', async () => {
    const user = await server.createUser({ emailVerified: false });
    const page = await newPage();
    const profile = new ProfilePage(page);
    await profile.open(`${server.url}/account`);
    await signIn(page, user);
    const prompt = new EmailCodePage(page);
    await prompt.waitForHeading('Verify your email');
    await prompt.continueForNow.click();
    await page.waitForURL((url) => url.pathname === '/account');
    assert.equal(await profile.text(profile.emailStatus), 'Not verified');
    await profile.verifyEmail.click();
    const codePage = new EmailCodePage(page);
    await codePage.waitForHeading('Verify your email');
    const mail = await mailTo(`${user.username}@example.com`, /verification code/);
    await codePage.enter(codeIn(mail) === '000000' ? '000001' : '000000');
    await codePage.message('code.invalid').waitFor();
    await codePage.enter(codeIn(mail));
    await profile.message('account.email_verified').waitFor();
    assert.equal(await profile.text(profile.emailStatus), 'Verified');
  });

  it('change email: new address → "Save Changes" → code from the new address → "Confirm"', async () => {
    const user = await server.createUser();
    const page = await newPage();
    const profile = await openProfile(page, user);
    await profile.changeEmail.click();
    await profile.waitForHeading('Change your email address');
    const newEmail = `moved_${user.username}@example.net`;
    await profile.newEmail.fill(newEmail);
    await profile.saveChanges.click();
    const codePage = new EmailCodePage(page);
    await codePage.waitForHeading('Confirm your new email address');
    await codePage.enter(codeIn(await mailTo(newEmail, /Confirm your new/)));
    await profile.message('account.email_changed').waitFor();
    assert.equal(await profile.text(profile.email), newEmail);
    assert.equal(await profile.text(profile.emailStatus), 'Verified');
    await mailTo(`${user.username}@example.com`, /email address was changed/);
  });

  it('change password: current and new password → "Change Password"; the new one signs in', async () => {
    const user = await server.createUser();
    const page = await newPage();
    const profile = await openProfile(page, user);
    await profile.passwordTab.click();
    await profile.waitForHeading('Change password');
    await profile.currentPassword.fill('Not-The-Password-1');
    await profile.newPassword.fill('Brand-New-Pass-1');
    await profile.changePassword.click();
    await profile.message('password.current_incorrect').waitFor();
    await profile.currentPassword.fill(user.password);
    await profile.newPassword.fill('Brand-New-Pass-1');
    await profile.changePassword.click();
    await profile.message('account.password_changed').waitFor();

    const elsewhere = await newPage();
    await elsewhere.goto(`${server.url}/account`);
    await signIn(elsewhere, { ...user, password: 'Brand-New-Pass-1' });
    await elsewhere.waitForURL((url) => url.pathname === '/account');
  });

  it('re-authentication: after 30 minutes, "Change password" asks for the password again; after 8 hours, for MFA too', async () => {
    const user = await server.createUser();
    const page = await newPage();
    const profile = await openProfile(page, user);
    await profile.passwordTab.click();
    await profile.waitForHeading('Change password');

    clock.advance(31 * 60 * 1000);
    await profile.contactTab.click();
    await page.waitForURL((url) => url.pathname === '/account');
    await profile.passwordTab.click();
    const signInPage = new SignInPage(page);
    await signInPage.message('session.reauthenticate').waitFor();
    await page.screenshot({ path: '/tmp/reauthenticate.png', fullPage: true });
    if ((await signInPage.username.inputValue()) === '') await signInPage.username.fill(user.username);
    await signInPage.password.fill(user.password);
    await signInPage.submit.click();
    await profile.waitForHeading('Change password'); // MFA is still inside its 8-hour window: password only

    clock.advance(8 * 60 * 60 * 1000 + 1000);
    await profile.contactTab.click();
    await profile.passwordTab.click();
    await signInPage.message('session.reauthenticate').waitFor();
    await signIn(page, user); // password, then the authenticator code
    await profile.waitForHeading('Change password');
  });
});
