// Page objects for the federation pages (views/templates/custom-domain.njk, idp-choose.njk,
// link-account.njk, link-password.njk, the "Logged In Via" section of account-permissions.njk) and for
// the test IdPs' own login page (test/helpers/upstream-idp.ts). Labels, roles and stable codes only.
import type { Locator, Page } from 'playwright-core';

export const LINK_HEADING = 'Link your Account';

class Base {
  readonly page: Page;
  readonly heading: Locator;
  constructor(page: Page) {
    this.page = page;
    this.heading = page.getByRole('heading', { level: 1 });
  }
  async waitForHeading(text: string) {
    await this.page.getByRole('heading', { level: 1, name: text, exact: true }).waitFor({ state: 'visible' });
  }
  message(code: string): Locator {
    return this.page.getByTestId(`message/${code}`);
  }
  button(name: string): Locator {
    return this.page.getByRole('button', { name, exact: true });
  }
}

/** "Use custom domain" → "Enter your organization’s domain name" → "Continue". */
export class CustomDomainPage extends Base {
  readonly domain = this.page.getByLabel('Enter your organization’s domain name', { exact: true });
  readonly continue = this.button('Continue');
  async enter(domain: string) {
    await this.domain.fill(domain);
    await this.continue.click();
  }
}

/** A test IdP's login page (not Gatehouse's). */
export class UpstreamLoginPage extends Base {
  readonly login = this.page.getByLabel('Login', { exact: true });
  readonly password = this.page.getByLabel('Password', { exact: true });
  async signIn(idpName: string, user: { login: string; password: string }) {
    await this.page.getByRole('heading', { name: `Sign in to ${idpName}` }).waitFor();
    await this.login.fill(user.login);
    await this.password.fill(user.password);
    await this.button(`Sign in to ${idpName}`).click();
  }
}

/** "Link your Account": the candidate profiles (hover shows their IdPs), "Link Accounts". */
export class LinkAccountPage extends Base {
  readonly linkAccounts = this.button('Link Accounts');
  readonly skip = this.page.getByTestId('link/skip');
  candidate(username: string): Locator {
    return this.page.getByTestId(`candidate/${username}`);
  }
  async candidates(): Promise<string[]> {
    const ids = await this.page.locator('[data-testid^="candidate/"]').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-testid') ?? ''));
    return ids.map((id) => id.slice('candidate/'.length));
  }
  async choose(username: string) {
    await this.candidate(username).getByRole('radio').check();
    await this.linkAccounts.click();
  }
}

/** "Enter your credentials for the profile you chose" (a local profile). */
export class LinkPasswordPage extends Base {
  readonly username = this.page.getByLabel('Username', { exact: true });
  readonly password = this.page.getByLabel('Password', { exact: true });
  async enter(password: string) {
    await this.password.fill(password);
    await this.button('Sign in').click();
  }
}

/** The profile's Permissions tab: "Logged In Via" with the linked profiles. */
export class LoggedInViaSection extends Base {
  readonly table = this.page.getByTestId('linked-profiles');
  profile(idpName: string): Locator {
    return this.page.getByTestId(`linked-profile/${idpName}`);
  }
  async idpNames(): Promise<string[]> {
    const ids = await this.page.locator('[data-testid^="linked-profile/"]').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-testid') ?? ''));
    return ids.map((id) => id.slice('linked-profile/'.length)).filter((n) => n !== 'current' && n !== 'last-used');
  }
  unlink(idpName: string): Locator {
    return this.page.getByTestId(`unlink/${idpName}`);
  }
}
