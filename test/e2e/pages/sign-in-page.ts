// Page object for the sign-in page (views/templates/sign-in.njk): finds things the way a person
// does, by labels, roles and headings, and messages by their stable data-testid codes.
import type { Locator, Page } from 'playwright-core';

export class SignInPage {
  readonly page: Page;
  readonly heading: Locator;
  readonly username: Locator;
  readonly password: Locator;
  readonly submit: Locator;
  readonly cancel: Locator;

  constructor(page: Page) {
    this.page = page;
    this.heading = page.getByRole('heading', { level: 1 });
    this.username = page.getByLabel('Username', { exact: true });
    this.password = page.getByLabel('Password', { exact: true });
    this.submit = page.getByRole('button', { name: 'Sign in', exact: true });
    this.cancel = page.getByRole('button', { name: 'Cancel', exact: true });
  }

  /** Opens a URL (an authorization request) and waits for the page to load. */
  async open(url: string) {
    const response = await this.page.goto(url, { waitUntil: 'load' });
    if (!response) throw new Error(`no response for ${url}`);
    return response;
  }

  /** True when the page on screen is the sign-in page: its heading says "Sign in". */
  async isShown() {
    return (await this.heading.count()) === 1 && (await this.heading.textContent())?.trim() === 'Sign in';
  }

  /** Types the credentials and clicks "Sign in" (does not wait for where that leads). */
  async signIn(username: string, password: string) {
    await this.username.fill(username);
    await this.password.fill(password);
    await this.submit.click();
  }

  /** A message by its code, e.g. `session.invalid_credentials` (data-testid="message/<code>"). */
  message(code: string): Locator {
    return this.page.getByTestId(`message/${code}`);
  }

  /** Codes of all messages on the page, in order. */
  async messageCodes(): Promise<string[]> {
    const ids = await this.page.locator('[data-testid^="message/"]').evaluateAll((nodes) =>
      nodes.map((n) => n.getAttribute('data-testid') ?? ''),
    );
    return ids.map((id) => id.slice('message/'.length));
  }
}
