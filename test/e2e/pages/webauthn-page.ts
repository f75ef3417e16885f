// Page object for the WebAuthn partials (views/templates/mfa/webauthn.njk, used by the built-in
// authenticator and security key pages): the Name field and Register button while enrolling, the
// "Use …" button on the challenge page, and the messages the page script shows.
import type { Locator, Page } from 'playwright-core';

export class WebAuthnPage {
  readonly page: Page;
  readonly name: Locator;
  readonly register: Locator;
  /** What went wrong in the browser (cancelled, timed out, already registered). */
  readonly clientError: Locator;
  readonly unsupported: Locator;

  constructor(page: Page) {
    this.page = page;
    this.name = page.getByLabel('Name', { exact: true });
    this.register = page.getByRole('button', { name: 'Register', exact: true });
    this.clientError = page.getByTestId('message/webauthn.client_error');
    this.unsupported = page.getByTestId('message/webauthn.unsupported');
  }

  /** Waits until views/static/webauthn.js has set the page up (its button is enabled then). */
  async ready() {
    await this.page.locator('[data-webauthn-ready]').waitFor({ state: 'attached' });
  }
}
