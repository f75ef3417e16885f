// Access Management in Norwegian Bokmål, in a real browser: an organization administrator picks
// "Norsk bokmål" in the language control and walks every Access Management page. Each page says
// <html lang="nb">, its heading and some of its texts are the catalog's Norwegian (compared with
// message(code, vars, 'nb')), dates are in the Norwegian format, and the page's English heading and
// buttons are not there. Selectors are ids, roles and data-testid, never English.
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { totpCode } from '../../accounts/totp.ts';
import { userPrincipal } from '../../accounts/access.ts';
import { formatDate, message } from '../../accounts/messages/catalog.ts';
import { describeUserAgent, deviceMessage } from '../../accounts/device-description.ts';
import type { MessageCode } from '../../accounts/messages/language.ts';
import { describeBrowser, launchBrowser } from '../helpers/browser.ts';
import { startGatehouse, uniqueName, type TestServer, type TestUser } from '../helpers/gatehouse-server.ts';
import { createTestClock } from '../helpers/self-service.ts';
import { addMember } from '../helpers/organization-fixtures.ts';
import { AdminPage } from './pages/admin-page.ts';

const NB = 'nb';
/** A code's text in a language; `vars` for texts with placeholders. */
const text = (code: MessageCode, lang: string, vars?: Record<string, string | number | Date>) => (message as (c: string, v: unknown, l: string) => string)(code, vars, lang);
const trimmed = async (locator: ReturnType<Page['locator']>) => ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();

describeBrowser('e2e: Access Management in Norsk bokmål', () => {
  const clock = createTestClock();
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async () => {
    browser = await launchBrowser();
    // An identity provider on a plain-HTTP loopback issuer (nothing listens there: "Test connection" reports it).
    server = await startGatehouse(undefined, { FEDERATION_ALLOW_HTTP_ISSUERS: 'true' }, { clock: clock.now });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  async function browse(): Promise<Page> {
    // The browser asks for English: the person's own pick is what makes the pages Norwegian.
    const context = await browser.newContext({ extraHTTPHeaders: { 'Accept-Language': 'en-GB,en;q=0.9' } });
    contexts.push(context);
    return context.newPage();
  }

  async function signIn(page: Page, user: TestUser) {
    await page.locator('#username').fill(user.username);
    await page.locator('#password').fill(user.password);
    await Promise.all([page.waitForURL(/\/interaction\//), page.locator('form button[type=submit]').first().click()]);
    clock.advance(30_000); // one TOTP code per 30-second step
    await page.locator('#code').fill(await totpCode(user.totpSecret!, clock.now()));
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/interaction/')), page.locator('form button[type=submit]').first().click()]);
  }

  /** <html lang="nb"> and the Norwegian heading; the English heading is not there. */
  async function expectPage(admin: AdminPage, heading: string, englishHeading?: string) {
    const where = admin.page.url();
    assert.equal(await admin.page.locator('html').getAttribute('lang'), NB, `<html lang> on ${where}`);
    assert.equal(await trimmed(admin.heading), heading, `heading on ${where}`);
    if (englishHeading && englishHeading !== heading) assert.equal(await admin.page.getByRole('heading', { name: englishHeading, exact: true }).count(), 0, `no English heading on ${where}`);
  }

  /** Each button's Norwegian text is there and its English one is not. */
  async function expectButtons(page: Page, codes: MessageCode[]) {
    for (const code of codes) {
      assert.ok(await page.getByRole('button', { name: text(code, NB), exact: true }).count() > 0, `button "${text(code, NB)}" on ${page.url()}`);
      assert.equal(await page.getByRole('button', { name: text(code, 'en'), exact: true }).count(), 0, `no English button "${text(code, 'en')}" on ${page.url()}`);
    }
  }

  async function label(page: Page, id: string) {
    return trimmed(page.locator(`label[for="${id}"]`));
  }

  it('an organization administrator who chose Norwegian sees every Access Management page in Norwegian', async () => {
    // An organization with an administrator, a member in a business group, a pending invitation, a web
    // application and an identity provider.
    const owner = await server.createUser({ company: uniqueName('Fjordkraft') });
    const { services, orgs } = server.gatehouse.organizations;
    const principal = (await userPrincipal(orgs, owner.id))!;
    const group = await services.organizations.createGroup(principal, { name: 'Drift' });
    const admin = await addMember(server, { organizationId: owner.organizationId, role: 'admin', username: uniqueName('admin') });
    const member = await addMember(server, { organizationId: owner.organizationId, groupId: group.id, username: uniqueName('medlem') });
    const invitee = `${uniqueName('invitert')}@example.com`;
    await services.invitations.invite(principal, { email: invitee });
    const wiki = await services.apps.create({ principal }, { kind: 'web', name: 'Wiki', redirectUris: ['https://wiki.example.com/callback'] });
    const idp = await server.gatehouse.federation.idps.create(principal, { name: 'Nordlys IdP', issuer: 'http://127.0.0.1:9', clientId: 'gatehouse', clientSecret: 'a-secret-for-the-test-idp', showButton: true });

    // The person picks Norwegian in the language control on the sign-in page (no JavaScript needed).
    const page = await browse();
    const am = new AdminPage(page);
    await page.goto(`${server.url}/admin/users`);
    await Promise.all([page.waitForLoadState('load'), page.getByTestId(`language/${NB}`).click()]);
    assert.equal(await page.locator('html').getAttribute('lang'), NB, 'the sign-in page follows the pick');
    await signIn(page, admin);
    await page.waitForURL((u) => u.pathname === '/admin/users');

    // Users
    await expectPage(am, text('page.title.users', NB), text('page.title.users', 'en'));
    assert.equal(await trimmed(am.nav('groups')), text('page.title.business_groups', NB));
    assert.equal(await label(page, 'q'), text('page.admin.users.search_label', NB));
    await expectButtons(page, ['page.admin.search']);
    assert.match(await trimmed(page.getByTestId(`user/${member.username}`)), new RegExp(text('page.admin.role.member', NB)));

    // A user, and the MFA reset confirmation
    await page.goto(`${server.url}/admin/users/${member.id}`);
    await expectPage(am, member.username);
    assert.equal(await trimmed(page.getByTestId('user/lockout')), text('page.admin.user.not_locked', NB));
    assert.ok(await page.getByText(text('permission.organization_read', NB)).count() > 0, 'permissions in Norwegian');
    await expectButtons(page, ['page.admin.user.mark_service_account', 'page.admin.user.remove', 'page.title.reset_multi_factor_authentication']);
    await page.getByRole('button', { name: text('page.title.reset_multi_factor_authentication', NB), exact: true }).click();
    await expectPage(am, text('page.title.reset_multi_factor_authentication', NB), text('page.title.reset_multi_factor_authentication', 'en'));
    assert.ok((await trimmed(page.getByTestId('mfa-reset/question'))).startsWith(text('page.admin.mfa_reset.question', NB, { username: member.username })));
    assert.equal(await trimmed(page.getByTestId('mfa-reset/question').locator('strong')), member.username, 'the name in bold, where the Norwegian sentence puts it');
    await expectButtons(page, ['page.admin.mfa_reset.confirm']);
    assert.equal(await page.getByRole('link', { name: text('page.cancel', NB), exact: true }).count(), 1);

    // Business groups
    await page.goto(`${server.url}/admin/groups`);
    await expectPage(am, text('page.title.business_groups', NB), text('page.title.business_groups', 'en'));
    assert.equal(await trimmed(page.locator('[data-testid="groups"] thead th').first()), text('page.admin.business_group', NB));
    assert.equal(await label(page, 'group-parent'), text('page.admin.groups.inside', NB));
    await expectButtons(page, ['page.admin.groups.create']);

    // Invitations
    await page.goto(`${server.url}/admin/invitations`);
    await expectPage(am, text('page.title.invitations', NB), text('page.title.invitations', 'en'));
    assert.equal(await trimmed(page.getByTestId(`invitation/${invitee}/status`)), text('page.admin.invitation_status.pending', NB));
    assert.equal(await trimmed(page.locator('#invite-role option[value=member]')), text('page.admin.role.member', NB));
    await expectButtons(page, ['page.admin.invitations.send', 'page.admin.invitations.resend']);

    // Applications, and one application
    await page.goto(`${server.url}/admin/applications`);
    await expectPage(am, text('page.title.applications', NB), text('page.title.applications', 'en'));
    assert.equal(await label(page, 'kind-web'), text('page.admin.app.kind.web', NB));
    assert.equal(await label(page, 'app-redirect-uris'), text('page.admin.app.redirect_uris', NB));
    await expectButtons(page, ['page.admin.apps.create']);
    await page.goto(`${server.url}/admin/applications/${encodeURIComponent(wiki.app.clientId)}`);
    await expectPage(am, 'Wiki');
    assert.equal(await trimmed(page.getByTestId('application/status')), text('page.admin.enabled', NB));
    await expectButtons(page, ['page.admin.save', 'page.admin.app.rotate', 'page.admin.app.disable', 'page.admin.delete']);

    // Audit Log: the actions by their names, the outcome, the filter
    await page.goto(`${server.url}/admin/audit`);
    await expectPage(am, text('page.title.audit_log', NB), text('page.title.audit_log', 'en'));
    const signInRow = page.getByTestId('audit/session.sign_in').first();
    assert.match(await trimmed(signInRow), new RegExp(`${text('audit.session.sign_in', NB)}.*${text('page.admin.audit.outcome.success', NB)}`));
    assert.equal(await trimmed(page.getByTestId('link/export')), text('page.admin.audit.export', NB));
    assert.match(await trimmed(signInRow.locator('td').first()), /\d{4}.*UTC$/, 'the time in UTC, like the filter');
    // The device on hover, named in Norwegian too (the browser and system names as the User-Agent gives them).
    const device = describeUserAgent(await page.evaluate(() => navigator.userAgent));
    const { code, vars } = deviceMessage(device);
    assert.equal(await signInRow.locator('td').nth(5).locator('span').getAttribute('title'), text(code, NB, vars as Record<string, string>));
    await expectButtons(page, ['page.admin.audit.filter']);

    // Identity providers, one of them, and "Test connection"
    await page.goto(`${server.url}/admin/identity-providers`);
    await expectPage(am, text('page.title.identity_providers', NB), text('page.title.identity_providers', 'en'));
    assert.equal(await label(page, 'domains'), text('page.admin.idp.domains', NB));
    assert.equal(await trimmed(page.locator('#idp-auth-method option[value=private_key_jwt]')), text('page.admin.idp.auth.private_key_jwt', NB));
    await expectButtons(page, ['page.admin.idp.save_settings', 'page.admin.idp.add']);
    await page.goto(`${server.url}/admin/identity-providers/oidc/${idp.id}`);
    await expectPage(am, 'Nordlys IdP');
    assert.equal(await trimmed(page.getByTestId('idp/secret-status')), text('page.admin.idp.secret_stored', NB));
    await expectButtons(page, ['page.admin.idp.test', 'page.admin.idp.remove']);
    await page.getByTestId('idp/test').click();
    await page.getByTestId('idp/report').waitFor();
    const discovery = await trimmed(page.getByTestId('check/discovery'));
    assert.ok(discovery.startsWith(`${text('page.admin.idp.check.error', NB)} — ${text('page.admin.idp.report.discovery_unreachable', NB, { url: 'http://127.0.0.1:9/.well-known/openid-configuration', reason: '' }).split(' (')[0]}`), discovery);
    assert.equal(await trimmed(am.message('idp.connection_failed')), text('idp.connection_failed', NB));

    // The Gatehouse identity provider: exempt accounts
    await page.goto(`${server.url}/admin/identity-providers/gatehouse`);
    await expectPage(am, text('page.title.gatehouse_identity_provider_exempt_accou', NB), text('page.title.gatehouse_identity_provider_exempt_accou', 'en'));
    assert.equal(await label(page, 'account_id'), text('page.admin.exemptions.account', NB));
    await expectButtons(page, ['page.admin.add']);

    // Organization: its creation date in the Norwegian format, branding
    await page.goto(`${server.url}/admin/organization`);
    await expectPage(am, text('page.title.organization', NB), text('page.title.organization', 'en'));
    const { organization } = await services.organizations.tree(principal);
    assert.equal(await trimmed(page.locator('dl.facts dd').nth(2)), formatDate(organization.createdAt, NB));
    assert.equal(await label(page, 'brand-accent'), text('page.admin.branding.accent', NB));
    await expectButtons(page, ['page.admin.organization.rename', 'page.admin.branding.save', 'page.admin.branding.upload_logo']);
  });
});
