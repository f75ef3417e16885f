// Page objects for the self-service pages (sign-up, forgot credentials, reset, profile): fields by
// their labels, buttons by their names (the reference wording), messages by their stable codes.
import type { Locator, Page } from 'playwright-core';

/** What every page offers: its heading and its messages (data-testid="message/<code>"). */
class BasePage {
  readonly page: Page;
  readonly heading: Locator;
  constructor(page: Page) {
    this.page = page;
    this.heading = page.getByRole('heading', { level: 1 });
  }
  async open(url: string) {
    const response = await this.page.goto(url, { waitUntil: 'load' });
    if (!response) throw new Error(`no response for ${url}`);
    return response;
  }
  async waitForHeading(text: string) {
    await this.page.getByRole('heading', { level: 1, name: text, exact: true }).waitFor({ state: 'visible' });
  }
  message(code: string): Locator {
    return this.page.getByTestId(`message/${code}`);
  }
  async messageCodes(): Promise<string[]> {
    const ids = await this.page.locator('[data-testid^="message/"]').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-testid') ?? ''));
    return ids.map((id) => id.slice('message/'.length));
  }
  button(name: string): Locator {
    return this.page.getByRole('button', { name, exact: true });
  }
}

export class SignUpPage extends BasePage {
  readonly email = this.page.getByLabel('Email', { exact: true });
  readonly username = this.page.getByLabel('Username', { exact: true });
  readonly phoneNumber = this.page.getByLabel('Phone Number', { exact: true });
  readonly password = this.page.getByLabel('Password', { exact: true });
  readonly company = this.page.getByLabel('Company', { exact: true });
  readonly terms = this.page.getByLabel('I agree to the terms of service');
  readonly termsLink = this.page.getByRole('link', { name: 'terms of service' });
  /** The ALTCHA widget's "I'm not a robot" (its checkbox sits under a decorative tick). */
  readonly captcha = this.page.getByText("I'm not a robot", { exact: true });
  readonly submit = this.button('Accept and create account');

  async fill(input: { email: string; username: string; phoneNumber: string; password: string; company: string }) {
    await this.email.fill(input.email);
    await this.username.fill(input.username);
    await this.phoneNumber.fill(input.phoneNumber);
    await this.password.fill(input.password);
    await this.company.fill(input.company);
  }

  /** Clicks "I'm not a robot" and waits until the proof of work is done in the browser. */
  async solveCaptcha() {
    await this.captcha.click();
    await this.page.locator('altcha-widget [data-state="verified"]').waitFor({ state: 'attached', timeout: 60_000 });
  }
}

export class ForgotPage extends BasePage {
  readonly identifier = this.page.getByLabel('Username or email address', { exact: true });
  readonly submit = this.button('Request credentials');
  async request(identifier: string) {
    await this.identifier.fill(identifier);
    await this.submit.click();
  }
}

export class ResetPasswordPage extends BasePage {
  readonly newPassword = this.page.getByLabel('New password', { exact: true });
  readonly submit = this.button('Reset Password');
  readonly signIn = this.page.getByTestId('link/sign-in');
  async reset(password: string) {
    await this.newPassword.fill(password);
    await this.submit.click();
  }
}

/** The sign-in flow's "Verify your email" prompt and the profile's code pages share these. */
export class EmailCodePage extends BasePage {
  readonly code = this.page.getByLabel('Verification code', { exact: true });
  readonly confirm = this.button('Confirm');
  readonly verifyEmail = this.button('Verify Email');
  readonly continueForNow = this.page.getByTestId('verify-email/later');
  async enter(code: string) {
    await this.code.fill(code);
    await this.confirm.click();
  }
}

export class ProfilePage extends BasePage {
  readonly contactTab = this.page.getByTestId('tab/contact');
  readonly passwordTab = this.page.getByTestId('tab/password');
  readonly permissionsTab = this.page.getByTestId('tab/permissions');
  readonly username = this.page.getByTestId('profile/username');
  readonly email = this.page.getByTestId('profile/email');
  readonly emailStatus = this.page.getByTestId('profile/email-status');
  readonly verifyEmail = this.button('Verify Email');
  readonly changeEmail = this.page.getByTestId('link/change-email');
  readonly name = this.page.getByLabel('Name', { exact: true });
  readonly phoneNumber = this.page.getByLabel('Phone Number', { exact: true });
  readonly newEmail = this.page.getByLabel('New email address', { exact: true });
  readonly saveChanges = this.button('Save Changes');
  readonly currentPassword = this.page.getByLabel('Current password', { exact: true });
  readonly newPassword = this.page.getByLabel('New password', { exact: true });
  readonly changePassword = this.button('Change Password');

  async text(locator: Locator) {
    return (await locator.textContent())?.trim();
  }
}
