// Applications in a real browser (Chromium):
//  - an administrator registers a web application on the Applications page while the server runs, a
//    relying party signs a person in with it, the administrator edits its redirect URIs, rotates its
//    secret (the old one is refused), disables it (sign-in refused with a page that says so) and deletes it;
//  - a single-page app signs in from its registered origin with oidc-client-ts (the token request and
//    revocation are cross-origin fetches from the browser: CORS), and a foreign origin gets no CORS;
//  - response_mode=form_post with JavaScript on and off, for a success and an error.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startGatehouse, type TestServer, type TestUser } from '../helpers/gatehouse-server.ts';
import { describeBrowser, launchBrowser } from '../helpers/browser.ts';
import { authorizationRequest, redeemCode } from '../helpers/authorization.ts';
import { addMember } from '../helpers/organization-fixtures.ts';
import { createTestClock } from '../helpers/self-service.ts';
import { SignInPage } from './pages/sign-in-page.ts';
import { CHALLENGE_HEADING, MfaPage } from './pages/mfa-page.ts';
import { totpCode } from '../../accounts/totp.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OIDC_CLIENT_TS = path.join(ROOT, 'node_modules/oidc-client-ts/dist/browser/oidc-client-ts.min.js');

/** A relying party: answers every request on any path with "callback received", remembering URL and form body. */
async function startRp(pages: Record<string, string> = {}) {
  const received: { url: URL; method: string; body: URLSearchParams }[] = [];
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const page = pages[url.pathname];
    if (page) {
      res.writeHead(200, { 'content-type': page.startsWith('"use strict"') ? 'text/javascript' : 'text/html; charset=utf-8' });
      res.end(page);
      return;
    }
    if (url.pathname !== '/favicon.ico') received.push({ url, method: req.method ?? 'GET', body: new URLSearchParams(body) });
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('callback received');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describeBrowser('e2e: applications', function (this: Mocha.Suite) {
  this.timeout(120_000);
  const clock = createTestClock();
  let server: TestServer;
  let browser: Browser;
  let owner: TestUser;
  const contexts: BrowserContext[] = [];
  const closers: (() => Promise<void>)[] = [];

  before(async () => {
    browser = await launchBrowser();
    server = await startGatehouse(undefined, {}, { clock: clock.now });
    owner = await server.createUser({ company: 'Browser Apps' });
  });
  after(async () => {
    for (const close of closers) await close();
    await browser?.close();
    await server?.close();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  async function newPage(options: { javaScriptEnabled?: boolean } = {}) {
    const context = await browser.newContext(options);
    contexts.push(context);
    return context.newPage();
  }

  /** Password, then a fresh authenticator code (the clock moves one step per sign-in). */
  async function signInAs(page: Page, user: TestUser) {
    await page.getByRole('heading', { level: 1, name: 'Sign in', exact: true }).waitFor();
    await new SignInPage(page).signIn(user.username, user.password);
    const mfa = new MfaPage(page);
    await mfa.waitForHeading(CHALLENGE_HEADING);
    clock.advance(31_000);
    await mfa.enterCode(await totpCode(user.totpSecret!, clock.now()));
  }

  const tokenWithSecret = (clientId: string, secret: string) =>
    fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
      body: 'grant_type=authorization_code&code=not-a-code&redirect_uri=http://x&code_verifier=' + 'v'.repeat(43),
    });

  it('an administrator registers a web app on the Applications page; it signs people in; edit, rotate, disable, delete', async () => {
    const rp = await startRp();
    closers.push(rp.close);
    const admin = await newPage();
    await admin.goto(`${server.url}/admin/applications`);
    await signInAs(admin, owner);
    await admin.getByRole('heading', { level: 1, name: 'Applications', exact: true }).waitFor();

    // New application: a refusal first, shown next to its field; nothing typed is lost.
    await admin.getByLabel('Web application', { exact: true }).check();
    await admin.getByLabel('Name', { exact: true }).fill('Team wiki');
    await admin.getByLabel('Redirect URIs', { exact: true }).fill('http://wiki.example.com/callback');
    await admin.getByRole('button', { name: 'Create application', exact: true }).click();
    await admin.getByTestId('field-error/redirectUris').waitFor();
    assert.match((await admin.getByTestId('field-error/redirectUris').textContent()) ?? '', /use https/);
    assert.equal(await admin.getByLabel('Name', { exact: true }).inputValue(), 'Team wiki');

    await admin.getByLabel('Redirect URIs', { exact: true }).fill(`${rp.origin}/callback`);
    await admin.getByLabel(/^First party/).check();
    await admin.getByRole('button', { name: 'Create application', exact: true }).click();
    await admin.waitForLoadState('load');
    if ((await admin.getByTestId('application/client-secret').count()) === 0) {
      throw new Error(`not created: ${await admin.locator('[data-testid^="message/"], [data-testid^="field-error/"]').allTextContents()}`);
    }
    const clientId = (await admin.getByTestId('application/client-id').textContent())!.trim();
    const secret = (await admin.getByTestId('application/client-secret').textContent())!.trim();

    // A relying party signs a member of the organization in with it (first party: no consent page).
    const member = await addMember(server, { organizationId: owner.organizationId });
    const client = { client_id: clientId, client_secret: secret, redirect_uris: [`${rp.origin}/callback`] };
    const request = authorizationRequest(server.url, client, { scope: 'openid profile' });
    const person = await newPage();
    await person.goto(request.url);
    await signInAs(person, member);
    await person.waitForURL((u) => u.href.startsWith(`${rp.origin}/callback?`));
    const tokens = await redeemCode(server.url, client, person.url(), request.verifier);
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));

    // Edit the redirect URIs: the old one is refused at once, the new one works.
    await admin.goto(`${server.url}/admin/applications/${clientId}`);
    await admin.getByLabel('Redirect URIs', { exact: true }).fill(`${rp.origin}/new-callback`);
    await admin.getByRole('button', { name: 'Save', exact: true }).click();
    await admin.getByTestId('message/application.updated').waitFor();
    const old = await fetch(authorizationRequest(server.url, client).url);
    assert.equal(old.status, 400, 'the old redirect URI is no longer registered');
    const moved = await person.goto(authorizationRequest(server.url, { ...client, redirect_uris: [`${rp.origin}/new-callback`] }).url);
    assert.ok(moved);
    await person.waitForURL((u) => u.href.startsWith(`${rp.origin}/new-callback?`), { timeout: 10_000 });

    // Rotate the secret: the old one is refused, the new one authenticates.
    await admin.getByTestId('form/rotate').getByLabel('I’m sure').check();
    await admin.getByRole('button', { name: 'Rotate secret', exact: true }).click();
    await admin.waitForLoadState('load');
    if ((await admin.getByTestId('application/client-secret').count()) === 0) {
      throw new Error(`not rotated: ${admin.url()} ${(await admin.content()).slice(0, 3000)}`);
    }
    const rotated = (await admin.getByTestId('application/client-secret').textContent())!.trim();
    assert.notEqual(rotated, secret);
    assert.equal((await tokenWithSecret(clientId, secret)).status, 401, 'old secret refused');
    assert.equal(((await (await tokenWithSecret(clientId, rotated)).json()) as { error: string }).error, 'invalid_grant', 'new secret accepted (the code is what is wrong)');

    // Disable: sign-in refused with a page that says so.
    await admin.getByRole('button', { name: 'Disable', exact: true }).click();
    await admin.getByTestId('message/application.disabled_notice').waitFor();
    await person.goto(authorizationRequest(server.url, { ...client, redirect_uris: [`${rp.origin}/new-callback`] }).url);
    await person.getByTestId('error/application.disabled').waitFor();
    assert.match((await person.getByTestId('error/application.disabled').textContent()) ?? '', /Team wiki has been disabled/);

    // Delete, behind "I'm sure".
    await admin.getByTestId('form/delete').getByLabel('I’m sure').check();
    await admin.getByRole('button', { name: 'Delete', exact: true }).click();
    await admin.getByTestId('message/application.deleted').waitFor();
    assert.equal(await admin.getByTestId(`application/${clientId}`).count(), 0);
    assert.equal((await tokenWithSecret(clientId, rotated)).status, 401, 'a deleted app is unknown');
  });

  it('a single-page app signs in from its registered origin with oidc-client-ts (CORS); a foreign origin gets no CORS', async () => {
    const spaPage = `<!doctype html><meta charset="utf-8"><title>SPA</title>
<script src="/oidc-client-ts.js"></script>
<script>
  const mgr = new oidc.UserManager({ authority: ${JSON.stringify(server.url)}, client_id: 'spa-e2e', redirect_uri: location.origin + '/callback', scope: 'openid profile', response_type: 'code' });
  window.signIn = () => mgr.signinRedirect();
  window.finish = async () => {
    const user = await mgr.signinRedirectCallback();
    await mgr.storeUser(user);
    await mgr.revokeTokens(['access_token']);
    return { sub: user.profile.sub, name: user.profile.preferred_username, hasAccessToken: Boolean(user.access_token) };
  };
</script>`;
    const js = fs.readFileSync(OIDC_CLIENT_TS, 'utf8');
    const spa = await startRp({ '/': spaPage, '/callback': spaPage, '/oidc-client-ts.js': js });
    const foreign = await startRp({ '/': '<!doctype html><title>Foreign</title>' });
    closers.push(spa.close, foreign.close);
    await server.gatehouse.applications.create({ operator: true }, {
      kind: 'spa',
      clientId: 'spa-e2e',
      organizationId: owner.organizationId,
      name: 'SPA e2e',
      redirectUris: [`${spa.origin}/callback`],
      webOrigins: [spa.origin],
      firstParty: true,
    });

    const page = await newPage();
    await page.goto(`${spa.origin}/`);
    await page.evaluate(() => {
      setTimeout(() => void (window as unknown as { signIn(): Promise<void> }).signIn(), 0);
    });
    await signInAs(page, owner);
    await page.waitForURL((u) => u.href.startsWith(`${spa.origin}/callback?`));
    const result = await page.evaluate(() => (window as unknown as { finish(): Promise<Record<string, unknown>> }).finish());
    assert.deepEqual(result, { sub: owner.id, name: owner.username, hasAccessToken: true }, 'token request and revocation from the browser');

    const other = await newPage();
    await other.goto(`${foreign.origin}/`);
    const outcome = await other.evaluate(async (issuer) => {
      try {
        await fetch(`${issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=authorization_code&client_id=spa-e2e&code=x' });
        return 'readable';
      } catch (err) {
        return `blocked: ${(err as Error).name}`;
      }
    }, server.url);
    assert.equal(outcome, 'blocked: TypeError', 'the browser refuses the foreign origin the response (no CORS headers)');
  });

  for (const javaScriptEnabled of [true, false]) {
    it(`form_post with JavaScript ${javaScriptEnabled ? 'on' : 'off'}: the code and an error reach the app`, async () => {
      const rp = await startRp();
      closers.push(rp.close);
      const clientId = `form-post-${javaScriptEnabled ? 'js' : 'nojs'}`;
      const created = await server.gatehouse.applications.create({ operator: true }, {
        kind: 'web', clientId, organizationId: owner.organizationId, name: 'Form post app', redirectUris: [`${rp.origin}/cb`], firstParty: true,
      });
      const client = { client_id: clientId, client_secret: created.clientSecret!, redirect_uris: [`${rp.origin}/cb`] };
      const page = await newPage({ javaScriptEnabled });
      const submitIfNeeded = async () => {
        if (!javaScriptEnabled) {
          await page.getByRole('button', { name: 'Continue', exact: true }).click();
        }
        await page.waitForURL((u) => u.href.startsWith(`${rp.origin}/cb`));
        await page.getByText('callback received').waitFor();
      };

      // An error first (prompt=none without a session): posted to the app too.
      await page.goto(authorizationRequest(server.url, client, { response_mode: 'form_post', prompt: 'none' }).url);
      await submitIfNeeded();
      assert.equal(rp.received.at(-1)!.method, 'POST');
      assert.equal(rp.received.at(-1)!.body.get('error'), 'login_required');

      const request = authorizationRequest(server.url, client, { response_mode: 'form_post', state: 'fp' });
      await page.goto(request.url);
      await signInAs(page, owner);
      await submitIfNeeded();
      const posted = rp.received.at(-1)!;
      assert.equal(posted.method, 'POST');
      assert.equal(posted.body.get('state'), 'fp');
      const tokens = await redeemCode(server.url, client, `${rp.origin}/cb?code=${posted.body.get('code')}`, request.verifier);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    });
  }
});
