// Page object for the invitation pages (views/templates/invitation-*.njk): the sign-up form opened
// from an invitation link, the account chooser, and the join confirmation. Finds things by label,
// role and heading; messages by their stable codes (data-testid="message/<code>").
import type { Locator, Page } from 'playwright-core';

export class InvitationPage {
  readonly page: Page;
  readonly heading: Locator;
  readonly email: Locator;
  readonly company: Locator;
  readonly username: Locator;
  readonly name: Locator;
  readonly phoneNumber: Locator;
  readonly password: Locator;
  readonly terms: Locator;
  readonly createNewAccount: Locator;
  readonly confirm: Locator;

  constructor(page: Page) {
    this.page = page;
    this.heading = page.getByRole('heading', { level: 1 });
    this.email = page.getByLabel('Email', { exact: true });
    this.company = page.getByLabel('Company', { exact: true });
    this.username = page.getByLabel('Username', { exact: true });
    this.name = page.getByLabel('Name', { exact: true });
    this.phoneNumber = page.getByLabel('Phone Number', { exact: true });
    this.password = page.getByLabel('Password', { exact: true });
    this.terms = page.getByRole('checkbox', { name: /terms of service/ });
    this.createNewAccount = page.getByTestId('link/create-new-account');
    this.confirm = page.getByRole('checkbox', { name: /I understand/ });
  }

  async open(url: string) {
    const response = await this.page.goto(url, { waitUntil: 'load' });
    if (!response) throw new Error(`no response for ${url}`);
    return response;
  }

  acceptButton(organization: string): Locator {
    return this.page.getByRole('button', { name: `Accept and create account in ${organization}`, exact: true });
  }

  joinButton(organization: string): Locator {
    return this.page.getByRole('button', { name: `Join ${organization}`, exact: true });
  }

  /** Fills the sign-up form (the email is preset) and clicks "Accept and create account in <org>". */
  async createAccount(organization: string, input: { username: string; password: string; phoneNumber?: string; name?: string }) {
    await this.username.fill(input.username);
    if (input.name) await this.name.fill(input.name);
    await this.phoneNumber.fill(input.phoneNumber ?? '+1 415 555 0100');
    await this.password.fill(input.password);
    await this.terms.check();
    await this.acceptButton(organization).click();
  }

  /** A candidate account in the chooser, by username. */
  candidate(username: string): Locator {
    return this.page.getByTestId(`candidate/${username}`);
  }

  /** Whether the chooser shows the "!" mark next to the account. */
  async isFlagged(username: string) {
    return (await this.page.getByTestId(`flag/${username}`).count()) === 1;
  }

  async chooseAccount(username: string) {
    await this.candidate(username).getByRole('link', { name: username, exact: true }).click();
  }

  message(code: string): Locator {
    return this.page.getByTestId(`message/${code}`);
  }

  async messageCodes(): Promise<string[]> {
    const ids = await this.page.locator('[data-testid^="message/"]').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-testid') ?? ''));
    return ids.map((id) => id.slice('message/'.length));
  }

  async headingText() {
    return (await this.heading.textContent())?.trim();
  }
}
