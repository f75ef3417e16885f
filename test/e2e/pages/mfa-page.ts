// Page object for the MFA pages (views/templates/mfa-challenge.njk, mfa-enrol-choose.njk,
// mfa-enrol.njk, recovery-codes.njk and the per-kind partials under views/templates/mfa/):
// finds things the way a person does, by labels, roles and headings; messages by their codes.
import type { Locator, Page } from 'playwright-core';

export const CHALLENGE_HEADING = 'Verify it’s you';
export const ENROL_HEADING = 'Set up multi-factor authentication';
export const RECOVERY_CODES_HEADING = 'Save your recovery codes';

export class MfaPage {
  readonly page: Page;
  readonly heading: Locator;
  /** The 6-digit code field of the authenticator-app challenge and set-up. */
  readonly verificationCode: Locator;
  readonly recoveryCode: Locator;
  readonly verify: Locator;
  readonly done: Locator;
  readonly continue: Locator;
  /** The base32 key shown while setting up an authenticator app. */
  readonly totpSecret: Locator;
  readonly recoveryCodes: Locator;
  /** "Try another method" (a disclosure listing the other methods). */
  readonly tryAnotherMethod: Locator;
  /** The email one-time code: its field, where it was sent, and "Send a new code". */
  readonly emailCode: Locator;
  readonly emailSentTo: Locator;
  readonly sendNewCode: Locator;

  constructor(page: Page) {
    this.page = page;
    this.heading = page.getByRole('heading', { level: 1 });
    this.verificationCode = page.getByLabel('Verification code', { exact: true });
    this.recoveryCode = page.getByLabel('Recovery code', { exact: true });
    this.verify = page.getByRole('button', { name: 'Verify', exact: true });
    this.done = page.getByRole('button', { name: 'Done', exact: true });
    this.continue = page.getByRole('button', { name: 'Continue', exact: true });
    this.totpSecret = page.getByTestId('totp/secret');
    this.recoveryCodes = page.getByTestId('recovery-codes');
    this.tryAnotherMethod = page.getByText('Try another method', { exact: true });
    this.emailCode = page.getByLabel('Code from the email', { exact: true });
    this.emailSentTo = page.getByTestId('email-otp/sent-to');
    this.sendNewCode = page.getByRole('button', { name: 'Send a new code', exact: true });
  }

  /** Waits until the page's heading reads `text` (navigation after a form post). */
  async waitForHeading(text: string) {
    await this.page.getByRole('heading', { level: 1, name: text, exact: true }).waitFor({ state: 'visible' });
  }

  async headingText() {
    return (await this.heading.textContent())?.trim();
  }

  /** The challenge page: types a code and clicks "Verify". */
  async enterCode(code: string) {
    await this.verificationCode.fill(code);
    await this.verify.click();
  }

  async enterRecoveryCode(code: string) {
    await this.recoveryCode.fill(code);
    await this.verify.click();
  }

  /** "Try another method" → the method with this label. */
  async switchTo(label: string) {
    await this.tryAnotherMethod.click();
    await this.page.getByRole('button', { name: label, exact: true }).click();
  }

  /** The enrolment chooser: picks a method by its label and clicks "Continue". */
  async choose(label: string) {
    await this.page.getByLabel(label, { exact: true }).check();
    await this.continue.click();
  }

  /** The authenticator-app set-up: the key as an app would read it (spaces removed). */
  async secret(): Promise<string> {
    return ((await this.totpSecret.textContent()) ?? '').replace(/\s/g, '');
  }

  /** The recovery codes shown once after the first method is registered. */
  async codes(): Promise<string[]> {
    return (await this.recoveryCodes.locator('li').allTextContents()).map((c) => c.trim());
  }

  /** A message by its code, e.g. `mfa.invalid_code` (data-testid="message/<code>"). */
  message(code: string): Locator {
    return this.page.getByTestId(`message/${code}`);
  }
}
