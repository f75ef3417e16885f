// Every page family at a 390 px phone viewport: none may scroll sideways
// (document.documentElement.scrollWidth > clientWidth fails the test, naming the page). The data is
// made long on purpose (long names, ids, a long User-Agent in Recent sign-ins and the Audit Log).
// Pages covered (PAGES below, checked by the last test): home, 404, provider error, sign-up, forgot,
// forgot sent, reset invalid, terms, invitation unusable, sign-in, custom domain, MFA challenge, MFA
// set-up chooser, TOTP set-up, recovery codes, consent, profile contact, change email, change password,
// MFA list, add MFA, remove MFA (confirmation), permissions, recent sign-ins, sessions, admin users, user detail,
// reset MFA confirmation, business groups, invitations, connected apps, audit log, identity providers,
// exempt accounts, organization, sign out.
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { totpCode } from '../../accounts/totp.ts';
import { userPrincipal } from '../../accounts/access.ts';
import { closeContextsAfterEach, describeBrowser, launchBrowser } from '../helpers/browser.ts';
import { startGatehouse, uniqueName, type TestServer, type TestUser } from '../helpers/gatehouse-server.ts';
import { authorizationRequest } from '../helpers/authorization.ts';
import { createTestClock } from '../helpers/self-service.ts';
import { CHALLENGE_HEADING, ENROL_HEADING, MfaPage, RECOVERY_CODES_HEADING } from './pages/mfa-page.ts';
import { SignInPage } from './pages/sign-in-page.ts';
import { readWidth, scrollsSideways, type WidthReading } from './pages/page-width.ts';
import { ForgotPage } from './pages/self-service-pages.ts';
import { addMember } from '../helpers/organization-fixtures.ts';

const PHONE = { width: 390, height: 844 };
/** A real phone browser's User-Agent, longer than most, shown in Recent sign-ins and the Audit Log. */
const LONG_USER_AGENT = 'Mozilla/5.0 (Linux; Android 14; SM-S928B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.135 Mobile Safari/537.36 GatehousePhoneLayoutTest/1.0';
const LONG = 'Supercalifragilisticexpialidocious-International-Holdings';

const PAGES = [
  'home', '404', 'provider error', 'sign-up', 'forgot', 'forgot sent', 'reset invalid', 'terms', 'invitation unusable',
  'sign-in', 'custom domain', 'MFA challenge', 'MFA set-up chooser', 'TOTP set-up', 'recovery codes', 'consent',
  'profile contact', 'change email', 'change password', 'MFA list', 'add MFA', 'remove MFA', 'permissions', 'recent sign-ins', 'sessions',
  'admin users', 'user detail', 'reset MFA confirmation', 'business groups', 'invitations', 'applications', 'service application', 'web application', 'apps with access', 'audit log',
  'identity providers', 'exempt accounts', 'organization', 'sign out',
] as const;
type PageName = (typeof PAGES)[number];

describeBrowser('e2e: every page fits a 390 px phone', () => {
  const clock = createTestClock();
  let server: TestServer;
  let browser: Browser;
  const contexts = closeContextsAfterEach('phone-layout');
  const readings = new Map<PageName, WidthReading>();

  before(async () => {
    browser = await launchBrowser();
    server = await startGatehouse(undefined, {}, { clock: clock.now });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function phone(): Promise<Page> {
    const context = await browser.newContext({ viewport: PHONE, userAgent: LONG_USER_AGENT });
    contexts.push(context);
    return context.newPage();
  }

  /** Reads the page now on screen; fails at once, naming it, when it scrolls sideways. */
  async function check(page: Page, name: PageName) {
    await page.waitForLoadState('load');
    const reading = await readWidth(page);
    readings.set(name, reading);
    assert.ok(!scrollsSideways(reading), `"${name}" (${reading.path}, “${reading.heading}”) is ${reading.scrollWidth}px wide in a ${reading.clientWidth}px viewport`);
  }

  async function visit(page: Page, path: string, name: PageName) {
    await page.goto(`${server.url}${path}`);
    await check(page, name);
  }

  async function signIn(page: Page, user: TestUser) {
    const signInPage = new SignInPage(page);
    await signInPage.signIn(user.username, user.password);
    const mfa = new MfaPage(page);
    await mfa.waitForHeading(CHALLENGE_HEADING);
    await check(page, 'MFA challenge');
    clock.advance(30_000); // one TOTP code per 30 s step
    await mfa.enterCode(await totpCode(user.totpSecret!, clock.now()));
  }

  it('pages anyone can open: home, 404, a provider error, sign-up, forgot, reset, terms, an unusable invitation', async () => {
    const page = await phone();
    await visit(page, '/', 'home');
    await visit(page, `/no-such-page/${LONG}`, '404');
    await visit(page, `/auth?client_id=${LONG}&response_type=code&scope=openid&redirect_uri=https://example.com/cb`, 'provider error');
    await visit(page, '/signup', 'sign-up');
    await visit(page, '/forgot', 'forgot');
    const forgot = new ForgotPage(page);
    await forgot.request(`${LONG}@example.com`);
    await forgot.message('forgot.sent').waitFor();
    await check(page, 'forgot sent');
    await visit(page, `/reset/${LONG}`, 'reset invalid');
    await visit(page, '/terms', 'terms');
    await visit(page, `/invitations/${LONG}`, 'invitation unusable');
  });

  it('the sign-in journey of a new person: sign-in, custom domain, MFA set-up, TOTP, recovery codes, consent', async () => {
    const user = await server.createUser({ mfa: false, company: LONG });
    const client = await server.createClient({ client_name: `${LONG} App`, first_party: false });
    const page = await phone();
    await page.goto(authorizationRequest(server.url, client, { scope: 'openid profile email phone org' }).url);
    await check(page, 'sign-in');
    await page.getByTestId('link/custom-domain').click();
    await check(page, 'custom domain');
    await page.goBack();
    await new SignInPage(page).signIn(user.username, user.password);
    const mfa = new MfaPage(page);
    await mfa.waitForHeading(ENROL_HEADING);
    await check(page, 'MFA set-up chooser');
    await mfa.choose('Authenticator app');
    await check(page, 'TOTP set-up');
    const secret = await mfa.secret();
    clock.advance(30_000);
    await mfa.verificationCode.fill(await totpCode(secret, clock.now()));
    await mfa.done.click();
    await mfa.waitForHeading(RECOVERY_CODES_HEADING);
    await check(page, 'recovery codes');
    await mfa.done.click();
    await page.getByRole('button', { name: 'Allow', exact: true }).waitFor();
    await check(page, 'consent');
  });

  it('the profile and Access Management of an owner with long data', async () => {
    const owner = await server.createUser({ company: LONG, username: uniqueName('owner_with_a_rather_long_username_') });
    const { services, orgs } = server.gatehouse.organizations;
    const principal = (await userPrincipal(orgs, owner.id))!;
    const group = await services.organizations.createGroup(principal, { name: `${LONG} Engineering` });
    await services.organizations.createGroup(principal, { name: `${LONG} Platform`, parentId: group.id });
    await services.invitations.invite(principal, { email: `${uniqueName('invitee')}-${LONG}@example.com` });
    const robot = await services.apps.create({ principal }, { kind: 'service', name: `${LONG} Robot`, scopes: ['users:read'] });
    const wiki = await services.apps.create({ principal }, { kind: 'web', name: `${LONG} Wiki`, redirectUris: [`https://wiki.example.com/${'callback/'.repeat(12)}`] });
    const [method] = await server.gatehouse.mfa.listMethods(owner.id);
    const member = await addMember(server, { organizationId: owner.organizationId, groupId: group.id, username: uniqueName('member_with_a_long_name_') });

    const page = await phone();
    await page.goto(`${server.url}/account`);
    await check(page, 'sign-in');
    await signIn(page, owner);
    await page.waitForURL((u) => u.pathname === '/account');
    await check(page, 'profile contact');
    await visit(page, '/account/email', 'change email');
    await visit(page, '/account/password', 'change password');
    await visit(page, '/account/mfa', 'MFA list');
    await visit(page, '/account/mfa/add/totp', 'add MFA');
    await page.goto(`${server.url}/account/mfa`);
    await page.getByRole('button', { name: `Remove ${method.name}` }).click();
    await check(page, 'remove MFA');
    await visit(page, '/account/permissions', 'permissions');
    await visit(page, '/account/sign-ins', 'recent sign-ins');
    await visit(page, '/account/apps', 'apps with access');
    await visit(page, '/account/sessions', 'sessions');
    await visit(page, '/admin/users', 'admin users');
    await visit(page, `/admin/users/${member.id}`, 'user detail');
    await page.getByRole('button', { name: 'Reset multi-factor authentication' }).click();
    await check(page, 'reset MFA confirmation');
    await visit(page, '/admin/groups', 'business groups');
    await visit(page, '/admin/invitations', 'invitations');
    await visit(page, '/admin/applications', 'applications');
    await visit(page, `/admin/applications/${robot.app.clientId}`, 'service application');
    await visit(page, `/admin/applications/${wiki.app.clientId}`, 'web application');
    await visit(page, '/admin/audit', 'audit log');
    await visit(page, '/admin/identity-providers', 'identity providers');
    await visit(page, '/admin/identity-providers/gatehouse', 'exempt accounts');
    await visit(page, '/admin/organization', 'organization');
    await visit(page, '/session/end', 'sign out');
  });

  it('covered every page family listed above', () => {
    assert.deepEqual(PAGES.filter((p) => !readings.has(p)), [], 'pages not visited');
  });
});
