// Page object for Profile → Sessions (views/templates/account-sessions.njk), the administrators'
// sessions section of a user (admin/user.njk) and the Sign out control (partials/sign-out.njk).
import type { Locator, Page } from 'playwright-core';

export class SessionsPage {
  readonly page: Page;
  readonly rows: Locator;
  readonly current: Locator;
  readonly others: Locator;
  readonly endOthers: Locator;
  readonly signOut: Locator;

  constructor(page: Page) {
    this.page = page;
    this.rows = page.locator('[data-testid="sessions"] tbody tr[data-testid^="session"]');
    this.current = page.getByTestId('session/current');
    this.others = page.locator('[data-testid="sessions"] tbody tr[data-testid="session"]');
    this.endOthers = page.getByRole('button', { name: 'Sign out of all other sessions', exact: true });
    this.signOut = page.getByTestId('sign-out');
  }

  /** The row of the session on a device ("Firefox 121 on Windows 10"). */
  row(device: string): Locator {
    return this.rows.filter({ has: this.page.getByTestId('session/device').getByText(device, { exact: true }) });
  }

  /** "Sign out" on the row of that device. */
  async end(device: string) {
    await this.row(device).getByRole('button', { name: 'Sign out', exact: true }).click();
  }

  message(code: string): Locator {
    return this.page.getByTestId(`message/${code}`);
  }
}
