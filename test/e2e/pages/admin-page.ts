// Page object for the Access Management pages under /admin (views/templates/admin/*.njk).
import type { Locator, Page } from 'playwright-core';

export class AdminPage {
  readonly page: Page;
  readonly heading: Locator;

  constructor(page: Page) {
    this.page = page;
    this.heading = page.getByRole('heading', { level: 1 });
  }

  nav(section: string): Locator {
    return this.page.getByTestId(`nav/${section}`);
  }

  /** Invitations page: invite an address with a role into a business group (by its label). */
  async invite(email: string, role: 'Member' | 'Administrator' = 'Member') {
    await this.page.getByLabel('Email', { exact: true }).fill(email);
    await this.page.getByLabel('Role', { exact: true }).selectOption({ label: role });
    await this.page.getByRole('button', { name: 'Send invitation', exact: true }).click();
  }

  invitationRow(email: string): Locator {
    return this.page.getByTestId(`invitation/${email}`);
  }

  message(code: string): Locator {
    return this.page.getByTestId(`message/${code}`);
  }
}
