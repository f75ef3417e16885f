// The sign-in journey and the public pages in Norsk bokmål in a real browser: custom domain and the IdP
// chooser, setting up an authenticator app with its recovery codes and signing in with a recovery code,
// an invitation, the password reset pages, terms, sign out / signed out and the home page. Each page has
// <html lang="nb">, its heading and texts from the catalog in nb (message(code, vars, 'nb')), and none
// of the English heading or button texts. Selectors are ids, roles and data-testid, never English.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { userPrincipal } from '../../accounts/access.ts';
import { message } from '../../accounts/messages/catalog.ts';
import type { MessageCode } from '../../accounts/messages/language.ts';
import { totpCode } from '../../accounts/totp.ts';
import { authorizationRequest } from '../helpers/authorization.ts';
import { describeBrowser, launchBrowser } from '../helpers/browser.ts';
import { startGatehouse, uniqueName, type TestServer, type TestUser } from '../helpers/gatehouse-server.ts';
import { createTestClock } from '../helpers/self-service.ts';
import { FEDERATION_ENV, registerIdp, setSignInSettings } from '../integration/federation/federation-fixtures.ts';
import type { UpstreamIdp } from '../helpers/upstream-idp.ts';

type Vars = Record<string, string | number | { code: MessageCode }>;
const text = (code: MessageCode, vars: Vars | undefined, lang: string) => message(code as 'page.cancel', vars as undefined, lang);
const nb = (code: MessageCode, vars?: Vars) => text(code, vars, 'nb');
const en = (code: MessageCode, vars?: Vars) => text(code, vars, 'en');

describeBrowser('e2e: the sign-in journey and public pages in Norsk bokmål', () => {
  const clock = createTestClock();
  let server: TestServer;
  let browser: Browser;
  let client: Awaited<ReturnType<TestServer['createClient']>>;
  let rp: http.Server;
  let redirectUri: string;
  const contexts: BrowserContext[] = [];
  const APP = 'Fjellbok';

  before(async () => {
    browser = await launchBrowser();
    server = await startGatehouse(undefined, FEDERATION_ENV, { clock: clock.now });
    // The application the sign-ins return to.
    rp = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('callback received'));
    await new Promise<void>((resolve) => rp.listen(0, '127.0.0.1', resolve));
    redirectUri = `http://127.0.0.1:${(rp.address() as AddressInfo).port}/callback`;
    client = await server.createClient({ redirect_uris: [redirectUri], first_party: true, client_name: APP });
  });
  after(async () => {
    await browser?.close();
    rp?.closeAllConnections();
    rp?.close();
    await server?.close();
  });
  const atApp = (url: URL) => url.href.startsWith(`${redirectUri}?`);
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  async function browse(options: { javaScriptEnabled?: boolean } = {}): Promise<Page> {
    const context = await browser.newContext({ extraHTTPHeaders: { 'Accept-Language': 'nb-NO,nb;q=0.9,en;q=0.5' }, javaScriptEnabled: options.javaScriptEnabled ?? true });
    contexts.push(context);
    return context.newPage();
  }

  const textOf = async (locator: Locator) => ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();

  /** <html lang="nb"> and the heading in nb (and not the English one). */
  async function expectNb(page: Page, title: MessageCode, titleVars?: Vars) {
    await page.getByRole('heading', { level: 1, name: nb(title, titleVars), exact: true }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'nb', `<html lang> on ${page.url()}`);
    assert.notEqual(nb(title, titleVars), en(title, titleVars), `${title} is translated`);
  }

  /** None of these English texts is on the page (each differs from its nb text). */
  async function noEnglish(page: Page, codes: (MessageCode | [MessageCode, Vars])[]) {
    const body = await page.locator('body').innerText();
    for (const entry of codes) {
      const [code, vars] = Array.isArray(entry) ? entry : [entry, undefined];
      assert.notEqual(en(code, vars), nb(code, vars), `${code} is translated`);
      assert.ok(!body.includes(en(code, vars)), `no English "${en(code, vars)}" on ${page.url()}`);
    }
  }

  /** Submits the form `button` belongs to and waits for the next page. */
  async function submit(page: Page, button: Locator) {
    await Promise.all([page.waitForLoadState('load'), button.click()]);
    await page.waitForLoadState('load');
  }

  async function signInWithPassword(page: Page, user: TestUser) {
    await page.goto(authorizationRequest(server.url, client).url);
    await expectNb(page, 'page.title.sign_in');
    await page.locator('#username').fill(user.username);
    await page.locator('#password').fill(user.password);
    await submit(page, page.getByRole('button', { name: nb('page.sign_in.submit'), exact: true }));
  }

  /** The newest mail to `to` whose text matches `pattern` (the embedded default writes .eml files; sending may finish after the page). */
  async function mailedLink(to: string, pattern: RegExp): Promise<string> {
    const dir = path.join(server.dataDir, 'outbox');
    for (let attempt = 0; attempt < 100; attempt++) {
      const files = (await fs.readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.eml')).sort().reverse();
      for (const file of files) {
        const mail = await simpleParser(await fs.readFile(path.join(dir, file)));
        const address = (Array.isArray(mail.to) ? mail.to[0] : mail.to)?.value[0]?.address;
        const link = address === to ? mail.text?.match(pattern)?.[0] : undefined;
        if (link) return link;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no mail to ${to} with ${pattern}`);
  }

  it('home, terms, and signing out (oidc-provider’s confirmation, then signed out)', async () => {
    const page = await browse();
    // Signed in first: only a session gets the confirmation (without one, oidc-provider signs out at once).
    const user = await server.createUser();
    await signInWithPassword(page, user);
    await expectNb(page, 'page.title.verify_its_you');
    clock.advance(30_000);
    await page.locator('#code').fill(await totpCode(user.totpSecret!, clock.now()));
    await Promise.all([page.waitForURL(atApp), page.getByRole('button', { name: nb('page.mfa.verify'), exact: true }).click()]);

    await page.goto(server.url);
    await expectNb(page, 'page.title.gatehouse_sign_in_service');
    assert.equal(await textOf(page.getByTestId('home/about')), nb('page.home.about', { issuer: server.url }));
    assert.equal(await textOf(page.getByTestId('home/profile')), nb('page.home.profile'));
    assert.equal(await textOf(page.getByTestId('home/admin')), nb('page.home.admin'));
    await noEnglish(page, [['page.home.about', { issuer: server.url }], 'page.home.profile', 'page.home.discovery']);

    await page.goto(`${server.url}/terms`);
    await expectNb(page, 'page.title.terms_of_service');
    assert.deepEqual(await page.locator('ol li').allTextContents(), [nb('page.terms.password'), nb('page.terms.email'), nb('page.terms.administrators'), nb('page.terms.audit')]);
    assert.equal(await textOf(page.locator('a[href="/signup"]')), nb('page.terms.back'));
    await noEnglish(page, ['page.terms.intro', 'page.terms.audit', 'page.terms.back']);

    const endSession = `${server.url}/session/end?client_id=${encodeURIComponent(client.client_id)}`;
    await page.goto(endSession);
    await expectNb(page, 'page.logout.title');
    assert.equal(await textOf(page.locator('main > p').first()), nb('page.logout.question_app', { app: APP }));
    await page.getByRole('button', { name: nb('page.logout.submit'), exact: true }).waitFor();
    const stay = page.getByRole('button', { name: nb('page.logout.stay'), exact: true });
    await noEnglish(page, [['page.logout.question_app', { app: APP }], 'page.logout.stay']);
    assert.equal(await page.getByRole('button', { name: en('page.logout.submit'), exact: true }).count(), 0, 'no English "Sign out"');
    // "Stay signed in": signed out of the app only (oidc-provider names it), still signed in to Gatehouse.
    await submit(page, stay);
    await expectNb(page, 'page.logged_out.title');
    assert.equal(await textOf(page.getByTestId('message/session.signed_out')), nb('session.signed_out_of', { app: APP }));
    await noEnglish(page, ['page.logged_out.title', ['session.signed_out_of', { app: APP }]]);

    await page.goto(endSession);
    await expectNb(page, 'page.logout.title');
    await submit(page, page.getByRole('button', { name: nb('page.logout.submit'), exact: true }));
    await expectNb(page, 'page.logged_out.title');
    assert.equal(await textOf(page.getByTestId('message/session.signed_out')), nb('session.signed_out'));
    await noEnglish(page, ['session.signed_out']);
  });

  it('signing out without a session: oidc-provider’s own auto-submitting page, JavaScript off', async () => {
    const page = await browse({ javaScriptEnabled: false });
    await page.goto(`${server.url}/session/end`);
    assert.equal(await page.locator('html').getAttribute('lang'), 'nb');
    assert.equal(await page.title(), nb('page.auto_submit.title'));
    const body = await page.locator('body').innerText();
    assert.ok(body.includes(nb('page.auto_submit.no_javascript')), body);
    assert.ok(!body.includes('JavaScript or you'), 'not the library’s English');
    const next = page.getByRole('button', { name: nb('page.continue'), exact: true });
    assert.equal(await page.getByRole('button', { name: en('page.continue'), exact: true }).count(), 0, 'no English "Continue"');
    await submit(page, next);
    await expectNb(page, 'page.logged_out.title');
    assert.equal(await textOf(page.getByTestId('message/session.signed_out')), nb('session.signed_out'));
  });

  it('custom domain: the domain form, an unknown domain, and the chooser of the organization’s identity providers', async () => {
    const owner = await server.createUser({ company: 'Fjord AS' });
    const domain = `${uniqueName('fjord')}.test`.toLowerCase().replace(/_/g, '-');
    const idp = (name: string) => ({ issuer: `https://${name}.idp.example`, clientId: 'gatehouse', clientSecret: 'secret' }) as UpstreamIdp;
    await registerIdp(server, owner, idp('nord'), { name: 'Nord ID', showButton: false });
    await registerIdp(server, owner, idp('sor'), { name: 'Sør ID', showButton: false });
    await setSignInSettings(server, owner, { domains: [domain] });

    const page = await browse();
    await page.goto(authorizationRequest(server.url, client).url);
    await expectNb(page, 'page.title.sign_in');
    await submit(page, page.getByTestId('link/custom-domain'));
    await expectNb(page, 'page.title.use_custom_domain');
    assert.equal(await textOf(page.locator('label[for=domain]')), nb('page.custom_domain.label'));
    assert.equal(await page.locator('#domain').getAttribute('placeholder'), nb('page.custom_domain.placeholder'));
    assert.equal(await textOf(page.getByTestId('link/back-to-sign-in')), nb('page.back_to_sign_in'));
    const next = page.getByRole('button', { name: nb('page.continue'), exact: true });
    await noEnglish(page, ['page.custom_domain.intro', 'page.custom_domain.label', 'page.continue', 'page.back_to_sign_in', 'page.cancel']);

    await page.locator('#domain').fill('no-such-domain.example');
    await submit(page, next);
    assert.equal(await textOf(page.getByTestId('message/federation.domain_not_found')), nb('federation.domain_not_found'));

    await page.locator('#domain').fill(domain);
    await submit(page, page.getByRole('button', { name: nb('page.continue'), exact: true }));
    await expectNb(page, 'page.title.choose_your_identity_provider');
    assert.equal(await textOf(page.locator('p.hint').first()), nb('page.idp_choose.intro', { domain }));
    assert.equal(await textOf(page.getByTestId('idp/Sør ID')), nb('page.sign_in.with_idp', { idp: 'Sør ID' }));
    await noEnglish(page, [['page.idp_choose.intro', { domain }], ['page.sign_in.with_idp', { idp: 'Nord ID' }]]);
  });

  it('sets up an authenticator app, shows the recovery codes, and signs in again with a recovery code', async () => {
    const user = await server.createUser({ mfa: false });
    const page = await browse();
    await signInWithPassword(page, user);
    await expectNb(page, 'page.title.set_up_multi_factor_authentication');
    assert.equal(await textOf(page.locator('label[for=kind-totp]')), nb('mfa.kind.totp'));
    await page.locator('#kind-totp').check();
    await submit(page, page.getByRole('button', { name: nb('page.continue'), exact: true }));

    await expectNb(page, 'page.title.set_up_method', { method: { code: 'mfa.kind.totp' } });
    const steps = await page.locator('ol.steps li').allTextContents();
    assert.equal(steps[0]?.trim(), nb('page.mfa.totp.scan'));
    assert.equal(await page.getByTestId('totp/qr').getAttribute('alt'), nb('page.mfa.totp.qr_alt'));
    const secret = ((await page.getByTestId('totp/secret').textContent()) ?? '').replace(/\s/g, '');
    assert.equal(steps[1]?.replace(/\s+/g, ' ').trim(), nb('page.mfa.totp.key', { secret: (await page.getByTestId('totp/secret').textContent()) ?? '' }));
    assert.equal(steps[2]?.trim(), nb('page.mfa.totp.enter_code'));
    assert.equal(await textOf(page.locator('label[for=name]')), nb('page.field.name'));
    assert.equal(await page.locator('#name').inputValue(), nb('mfa.kind.totp'), 'the default name in nb');
    assert.equal(await textOf(page.locator('label[for=code]')), nb('page.mfa.code'));
    await page.getByRole('button', { name: nb('page.mfa_enrol.choose_another'), exact: true }).waitFor();
    await noEnglish(page, ['page.mfa.totp.scan', 'page.mfa.totp.enter_code', 'page.mfa.code', 'page.mfa_enrol.choose_another']);
    assert.equal(await page.getByRole('button', { name: en('page.mfa.email_otp.done'), exact: true }).count(), 0, 'no English "Done"');

    clock.advance(30_000); // one TOTP code per 30-second step
    await page.locator('#name').fill(''); // left blank: named after its kind, in nb as the field showed it
    await page.locator('#code').fill(await totpCode(secret, clock.now()));
    await submit(page, page.getByRole('button', { name: nb('page.mfa.email_otp.done'), exact: true }));
    assert.deepEqual((await server.gatehouse.mfa.listMethods(user.id)).map((m) => m.name), [nb('mfa.kind.totp')]);

    await expectNb(page, 'page.title.save_your_recovery_codes');
    assert.equal(await textOf(page.locator('main > p').first()), nb('page.recovery_codes.intro'));
    const codes = (await page.getByTestId('recovery-codes').locator('li').allTextContents()).map((c) => c.trim());
    assert.equal(codes.length, 10);
    assert.equal(await textOf(page.getByTestId('recovery-codes/done')), nb('page.mfa.email_otp.done'));
    assert.equal(await textOf(page.getByTestId('recovery-codes/download')), nb('page.recovery_codes.download'));
    await noEnglish(page, ['page.title.save_your_recovery_codes', 'page.recovery_codes.intro', 'page.recovery_codes.download']);
    await Promise.all([page.waitForURL(atApp), page.getByTestId('recovery-codes/done').click()]);

    // Another browser, device lost: "Try another method" → "Recovery code".
    const again = await browse();
    await signInWithPassword(again, user);
    await expectNb(again, 'page.title.verify_its_you');
    await again.getByText(nb('page.mfa.try_another'), { exact: true }).click();
    await submit(again, again.getByTestId('mfa/switch/recovery_code'));
    await again.locator('#recovery_code').waitFor();
    await expectNb(again, 'page.title.verify_its_you');
    assert.equal(await textOf(again.locator('label[for=recovery_code]')), nb('mfa.kind.recovery_code'));
    assert.equal(await textOf(again.locator('#recovery_code ~ p.hint')), nb('page.mfa.recovery_code.hint'));
    const verify = again.getByRole('button', { name: nb('page.mfa.verify'), exact: true });
    await noEnglish(again, ['page.mfa.recovery_code.hint', 'page.mfa.try_another']);
    assert.equal(await again.getByRole('button', { name: en('page.mfa.verify'), exact: true }).count(), 0, 'no English "Verify"');
    assert.equal(await again.getByLabel(en('mfa.kind.recovery_code'), { exact: true }).count(), 0, 'no English "Recovery code" label');
    await again.locator('#recovery_code').fill(codes[0]!);
    await Promise.all([again.waitForURL(atApp), verify.click()]);
  });

  it('an invitation: the sign-up form for the invited address, and a link that cannot be used', async () => {
    const owner = await server.createUser({ company: 'Vestland Bygg' });
    const email = `${uniqueName('invitee')}@example.com`;
    const { services, orgs } = server.gatehouse.organizations;
    await services.invitations.invite((await userPrincipal(orgs, owner.id))!, { email });
    const link = await mailedLink(email, /https?:\/\/\S+\/invitations\/[A-Za-z0-9_-]+/);

    const page = await browse();
    await page.goto(link);
    const organization = 'Vestland Bygg';
    await expectNb(page, 'page.title.join', { organization });
    assert.equal(await textOf(page.locator('main > p.hint').first()), nb('page.invitation.sign_up.intro', { organization }));
    assert.equal(await textOf(page.locator('label[for=email]')), nb('page.field.email'));
    assert.equal(await textOf(page.locator('#email-hint')), nb('page.invitation.sign_up.email_hint'));
    assert.equal(await textOf(page.locator('#company-hint')), nb('page.invitation.sign_up.company_hint'));
    assert.equal(await textOf(page.locator('label[for=terms]')), nb('page.invitation.sign_up.agree', { terms: nb('page.sign_up.terms') }));
    await page.getByRole('button', { name: nb('page.invitation.sign_up.submit', { organization }), exact: true }).waitFor();
    await noEnglish(page, [['page.invitation.sign_up.submit', { organization }], 'page.invitation.sign_up.use_existing', 'page.invitation.sign_up.email_hint', 'page.field.password']);

    await page.goto(`${server.url}/invitations/not-a-real-invitation-token`);
    await expectNb(page, 'page.title.this_invitation_cannot_be_used');
    assert.equal(await textOf(page.getByTestId('message/invitation.invalid')), nb('invitation.invalid'));
    assert.equal(await textOf(page.locator('main > p.hint')), nb('page.invitation.unusable.hint'));
    await noEnglish(page, ['page.invitation.unusable.hint', 'invitation.invalid']);
  });

  it('password reset: the new-password form, done, and the used link', async () => {
    const user = await server.createUser();
    const page = await browse();
    await page.goto(`${server.url}/forgot`);
    await expectNb(page, 'page.title.forgot_your_credentials');
    await page.locator('#identifier').fill(user.username);
    await submit(page, page.locator('form[action="/forgot"] button[type=submit]'));
    const link = await mailedLink(`${user.username}@example.com`, /https?:\/\/\S+\/reset\/[A-Za-z0-9_-]+/);

    await page.goto(link);
    await expectNb(page, 'page.title.reset_your_password');
    assert.equal(await textOf(page.locator('main > p').first()), nb('page.reset.choose_for', { username: user.username }));
    assert.equal(await textOf(page.locator('label[for=password]')), nb('page.reset.new_password'));
    assert.equal(await textOf(page.locator('#password-hint')), nb('page.reset.password_hint'));
    const reset = page.getByRole('button', { name: nb('page.reset.submit'), exact: true });
    await noEnglish(page, ['page.reset.new_password', 'page.reset.password_hint', 'page.reset.submit']);
    await page.locator('#password').fill('Nytt-Passord-2026');
    await submit(page, reset);

    await expectNb(page, 'page.title.password_reset');
    assert.equal(await textOf(page.getByTestId('message/password.reset_done')), nb('password.reset_done', { username: user.username }));
    assert.equal(await textOf(page.getByTestId('link/sign-in')), nb('page.sign_in.submit'));
    await noEnglish(page, [['password.reset_done', { username: user.username }], 'page.sign_in.submit']);

    await page.goto(link);
    await expectNb(page, 'page.title.reset_your_password');
    assert.equal(await textOf(page.getByTestId('message/reset.link_invalid')), nb('reset.link_invalid'));
    assert.equal(await textOf(page.locator('a[href="/forgot"]')), nb('page.sign_in.forgot'));
    await noEnglish(page, ['reset.link_invalid', 'page.sign_in.forgot']);
  });
});
