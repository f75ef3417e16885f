// The sign-in journey in a real browser: a person opens a relying party's authorization URL,
// signs in on Gatehouse's page (password, then multi-factor authentication) and lands on the
// relying party's redirect URI with a code. A TOTP code works once per user per 30-second step,
// so every journey that proves an authenticator app uses a fresh user.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext } from 'playwright-core';
import { startRelyingParty } from '../helpers/relying-party-server.ts';
import { authorizationRequest as relyingPartyRequest } from '../helpers/authorization.ts';
import { startGatehouse, type TestServer } from '../helpers/gatehouse-server.ts';
import { describeBrowser, launchBrowser } from '../helpers/browser.ts';
import { SignInPage } from './pages/sign-in-page.ts';
import { CHALLENGE_HEADING, ENROL_HEADING, MfaPage, RECOVERY_CODES_HEADING } from './pages/mfa-page.ts';
import { totpCode } from '../../accounts/totp.ts';

const SCREENSHOT = '/tmp/sign-in.png';


function decodeJwtPayload(jwt: string): Record<string, unknown> {
  const parts = jwt.split('.');
  assert.equal(parts.length, 3, 'a JWS in compact form');
  return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
}

describeBrowser('e2e: sign-in journey', () => {
  let server: TestServer;
  let rp: Awaited<ReturnType<typeof startRelyingParty>>;
  let browser: Browser;
  let user: Awaited<ReturnType<TestServer['createUser']>>;
  let client: Awaited<ReturnType<TestServer['createClient']>>;
  const contexts: BrowserContext[] = [];

  before(async () => {
    browser = await launchBrowser();
    server = await startGatehouse();
    rp = await startRelyingParty();
    user = await server.createUser();
    client = await server.createClient({ redirect_uris: [rp.redirectUri], first_party: true });
  });
  after(async () => {
    await browser?.close();
    await rp?.close();
    await server?.close();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  async function newPage(options: { javaScriptEnabled?: boolean } = {}) {
    const context = await browser.newContext(options);
    contexts.push(context);
    return new SignInPage(await context.newPage());
  }

  /** What a relying party does before sending a person to Gatehouse. */
  function authorizationRequest() {
    const state = randomBytes(16).toString('base64url');
    return { ...relyingPartyRequest(server.url, client, { scope: 'openid profile', state }), state };
  }

  const atRedirectUri = (url: URL) => url.href.startsWith(`${rp.redirectUri}?`);

  it('signs a person in and sends them to the relying party with a code that redeems for an ID token', async () => {
    const user = await server.createUser();
    const request = authorizationRequest();
    const signIn = await newPage();
    const response = await signIn.open(request.url);

    assert.equal(response.status(), 200);
    assert.match(new URL(signIn.page.url()).pathname, /^\/interaction\/[^/]+$/);
    assert.match(await signIn.page.title(), /^Sign in\b/);
    assert.equal(await signIn.isShown(), true, 'heading "Sign in"');
    assert.equal(await signIn.username.count(), 1, 'a field labelled Username');
    assert.equal(await signIn.password.count(), 1, 'a field labelled Password');
    assert.equal(await signIn.password.getAttribute('type'), 'password');
    await signIn.page.screenshot({ path: SCREENSHOT, fullPage: true });

    await signIn.signIn(user.username, user.password);
    const mfa = new MfaPage(signIn.page);
    await mfa.waitForHeading(CHALLENGE_HEADING);
    assert.equal(await mfa.verificationCode.count(), 1, 'a field labelled Verification code');
    await mfa.enterCode(await totpCode(user.totpSecret!));
    await signIn.page.waitForURL(atRedirectUri);

    const landed = new URL(signIn.page.url());
    assert.equal(landed.origin + landed.pathname, rp.redirectUri);
    const code = landed.searchParams.get('code');
    assert.ok(code, 'a code on the redirect URI');
    assert.equal(landed.searchParams.get('state'), request.state);
    assert.equal(landed.searchParams.get('iss'), server.url);
    assert.equal(landed.searchParams.get('error'), null);
    assert.equal((await signIn.page.textContent('body'))?.trim(), 'callback received');
    assert.ok(rp.received.some((u) => u.searchParams.get('code') === code), 'the relying party got the request');

    const basic = Buffer.from(
      `${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret ?? '')}`,
    ).toString('base64');
    const token = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: rp.redirectUri,
        code_verifier: request.verifier,
      }),
    });
    const body = (await token.json()) as Record<string, unknown>;
    assert.equal(token.status, 200, JSON.stringify(body));
    assert.equal(typeof body.id_token, 'string');
    const claims = decodeJwtPayload(body.id_token as string);
    assert.equal(claims.iss, server.url);
    assert.equal(claims.aud, client.client_id);
    assert.equal(claims.sub, user.id);
    assert.deepEqual(claims.amr, ['pwd', 'mfa', 'otp']);
    assert.equal(claims.acr, 'urn:gatehouse:loa:2');
  });

  it('shows the invalid-credentials message on a wrong password and keeps the username, not the password', async () => {
    const signIn = await newPage();
    await signIn.open(authorizationRequest().url);
    await signIn.signIn(user.username, 'Wrong-Horse-0');

    await signIn.message('session.invalid_credentials').waitFor({ state: 'visible' });
    assert.deepEqual(await signIn.messageCodes(), ['session.invalid_credentials']);
    assert.equal(await signIn.isShown(), true, 'still the sign-in page');
    assert.equal(new URL(signIn.page.url()).origin, server.url);
    assert.equal(await signIn.username.inputValue(), user.username);
    assert.equal(await signIn.password.inputValue(), '');
    assert.equal(rp.received.filter((u) => u.searchParams.has('error')).length, 0, 'no error sent to the relying party');
  });

  it('works with JavaScript disabled', async () => {
    const user = await server.createUser();
    const request = authorizationRequest();
    const signIn = await newPage({ javaScriptEnabled: false });
    await signIn.open(request.url);
    assert.equal(await signIn.isShown(), true);

    await signIn.signIn(user.username, user.password);
    const mfa = new MfaPage(signIn.page);
    await mfa.waitForHeading(CHALLENGE_HEADING);
    await mfa.enterCode(await totpCode(user.totpSecret!));
    await signIn.page.waitForURL(atRedirectUri);

    const landed = new URL(signIn.page.url());
    assert.ok(landed.searchParams.get('code'));
    assert.equal(landed.searchParams.get('state'), request.state);
    assert.equal(landed.searchParams.get('iss'), server.url);
  });

  it('makes a person without a method set up an authenticator app, shows 10 recovery codes, and a recovery code works once', async () => {
    const user = await server.createUser({ mfa: false });
    const signIn = await newPage();
    await signIn.open(authorizationRequest().url);
    await signIn.signIn(user.username, user.password);

    const mfa = new MfaPage(signIn.page);
    await mfa.waitForHeading(ENROL_HEADING);
    await mfa.choose('Authenticator app');
    await mfa.waitForHeading('Set up: Authenticator app');
    const secret = await mfa.secret();
    assert.match(secret, /^[A-Z2-7]+$/, 'a base32 key');
    await mfa.verificationCode.fill(await totpCode(secret));
    await mfa.done.click();

    await mfa.waitForHeading(RECOVERY_CODES_HEADING);
    const codes = await mfa.codes();
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10, 'all different');
    await mfa.done.click();
    await signIn.page.waitForURL(atRedirectUri);
    assert.ok(new URL(signIn.page.url()).searchParams.get('code'));

    // Another browser, device lost: "Try another method" → "Recovery code".
    const again = await newPage();
    await again.open(authorizationRequest().url);
    await again.signIn(user.username, user.password);
    const challenge = new MfaPage(again.page);
    await challenge.waitForHeading(CHALLENGE_HEADING);
    await challenge.switchTo('Recovery code');
    await challenge.recoveryCode.waitFor({ state: 'visible' });
    await challenge.enterRecoveryCode(codes[0]);
    await again.page.waitForURL(atRedirectUri);
    assert.ok(new URL(again.page.url()).searchParams.get('code'));

    // The same code the next time: refused, still on the challenge page.
    const reused = await newPage();
    await reused.open(authorizationRequest().url);
    await reused.signIn(user.username, user.password);
    const refused = new MfaPage(reused.page);
    await refused.waitForHeading(CHALLENGE_HEADING);
    await refused.switchTo('Recovery code');
    await refused.recoveryCode.waitFor({ state: 'visible' });
    await refused.enterRecoveryCode(codes[0]);
    await refused.message('mfa.invalid_recovery_code').waitFor({ state: 'visible' });
    assert.equal(await refused.headingText(), CHALLENGE_HEADING);
    assert.equal(new URL(reused.page.url()).origin, server.url);
    assert.equal(await server.gatehouse.mfa.countRecoveryCodes(user.id), 9);
  });

  it('serves the sign-in page with a strict CSP, nosniff and no-store', async () => {
    const signIn = await newPage();
    const response = await signIn.open(authorizationRequest().url);
    assert.equal(await signIn.isShown(), true);
    const headers = await response.allHeaders();

    const csp = headers['content-security-policy'];
    assert.ok(csp, 'a Content-Security-Policy header');
    assert.ok(csp.includes("frame-ancestors 'none'"), csp);
    const directives = new Map(
      csp.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...values]) => [name.toLowerCase(), values]),
    );
    const scriptSrc = directives.get('script-src') ?? directives.get('default-src');
    assert.ok(scriptSrc, `script-src (or default-src) in ${csp}`);
    assert.ok(!scriptSrc.includes("'unsafe-inline'"), csp);
    assert.equal(headers['x-content-type-options'], 'nosniff');
    assert.equal(headers['cache-control'], 'no-store');
  });
});
