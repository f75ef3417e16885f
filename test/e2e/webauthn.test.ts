// WebAuthn journeys in a real browser: Chromium with the DevTools protocol's virtual authenticator
// ('internal' transport = a built-in authenticator, 'usb' = a security key) registers a credential
// through the enrolment pages and signs in with it through the challenge page, landing on the
// relying party. WebAuthn refuses IP addresses as RP IDs, so this server's ISSUER is
// http://localhost:<port> (still listening on 127.0.0.1).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { startRelyingParty } from '../helpers/relying-party-server.ts';
import { authorizationRequest as relyingPartyRequest } from '../helpers/authorization.ts';
import { startGatehouse, type TestServer, type TestUser } from '../helpers/gatehouse-server.ts';
import { describeBrowser, launchBrowser } from '../helpers/browser.ts';
import { SignInPage } from './pages/sign-in-page.ts';
import { CHALLENGE_HEADING, ENROL_HEADING, MfaPage, RECOVERY_CODES_HEADING } from './pages/mfa-page.ts';
import { WebAuthnPage } from './pages/webauthn-page.ts';

type Transport = 'internal' | 'usb';

type VirtualCredential = {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  privateKey: string;
  userHandle?: string;
  signCount: number;
};


const KINDS = [
  { kind: 'platform', label: 'Built-in authenticator', transport: 'internal', button: 'Use built-in authenticator', amr: ['swk', 'user'] },
  { kind: 'security_key', label: 'Security key', transport: 'usb', button: 'Use security key', amr: ['hwk'] },
] as const;

describeBrowser('e2e: WebAuthn built-in authenticator and security key', () => {
  let server: TestServer;
  let rp: Awaited<ReturnType<typeof startRelyingParty>>;
  let browser: Browser;
  let client: Awaited<ReturnType<TestServer['createClient']>>;
  const contexts: BrowserContext[] = [];

  before(async () => {
    browser = await launchBrowser();
    server = await startGatehouse(undefined, {}, { issuerHost: 'localhost' });
    rp = await startRelyingParty();
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

  /** A browser profile with one virtual authenticator attached to its page. */
  async function device(transport: Transport, options: { javaScriptEnabled?: boolean } = {}) {
    const context = await browser.newContext(options);
    contexts.push(context);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport, hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    const credentials = async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials as VirtualCredential[];
    return { context, page, cdp, authenticatorId, credentials };
  }

  const authorizationRequest = () => relyingPartyRequest(server.url, client, { state: randomBytes(8).toString('base64url') });

  const atRedirectUri = (url: URL) => url.href.startsWith(`${rp.redirectUri}?`);

  /** Exchanges the code the page landed with for tokens; returns the ID token's claims. */
  async function idTokenClaims(page: Page, verifier: string) {
    const code = new URL(page.url()).searchParams.get('code');
    assert.ok(code, `a code on the redirect URI: ${page.url()}`);
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: rp.redirectUri, code_verifier: verifier }),
    });
    const body = (await response.json()) as { id_token: string };
    assert.equal(response.status, 200, JSON.stringify(body));
    return JSON.parse(Buffer.from(body.id_token.split('.')[1], 'base64url').toString()) as { amr: string[]; acr: string; sub: string };
  }

  async function passwordStep(page: Page, user: TestUser) {
    const request = authorizationRequest();
    const signIn = new SignInPage(page);
    await signIn.open(request.url);
    await signIn.signIn(user.username, user.password);
    return request;
  }

  /** A user without a method signs in, chooses `label`, registers the virtual authenticator, saves the codes. */
  async function enrol(page: Page, user: TestUser, label: string, name: string) {
    const request = await passwordStep(page, user);
    const mfa = new MfaPage(page);
    await mfa.waitForHeading(ENROL_HEADING);
    await mfa.choose(label);
    await mfa.waitForHeading(`Set up: ${label}`);
    const webauthn = new WebAuthnPage(page);
    await webauthn.ready();
    await page.screenshot({ path: `/tmp/webauthn-enrol-${label.replace(/\W+/g, '-').toLowerCase()}.png`, fullPage: true });
    await webauthn.name.fill(name);
    await webauthn.register.click();
    await mfa.waitForHeading(RECOVERY_CODES_HEADING);
    assert.equal((await mfa.codes()).length, 10);
    await mfa.done.click();
    await page.waitForURL(atRedirectUri);
    return request;
  }

  for (const k of KINDS) {
    it(`registers a ${k.label.toLowerCase()} at enrolment and signs in with it (amr ${k.amr.join(' ')})`, async () => {
      const user = await server.createUser({ mfa: false });
      const { page, credentials } = await device(k.transport);

      const enrolled = await enrol(page, user, k.label, `My ${k.kind}`);
      const enrolClaims = await idTokenClaims(page, enrolled.verifier);
      assert.equal(enrolClaims.sub, user.id);
      assert.deepEqual(enrolClaims.amr, ['pwd', 'mfa', ...k.amr]);
      assert.equal(enrolClaims.acr, 'urn:gatehouse:loa:2');

      const methods = await server.gatehouse.mfa.listMethods(user.id);
      assert.deepEqual(methods.map((m) => [m.kind, m.name]), [[k.kind, `My ${k.kind}`]]);
      const [credential] = await credentials();
      assert.equal(methods[0].config.credentialId, Buffer.from(credential.credentialId, 'base64').toString('base64url'));
      assert.equal(methods[0].config.attachment, k.kind === 'platform' ? 'platform' : 'cross-platform');
      assert.ok(typeof methods[0].config.publicKey === 'string' && !String(methods[0].config.publicKey).includes('='), 'public key stored as base64url');
      const counterAfterEnrolment = Number(methods[0].config.counter);

      // A new browser session on the same device: password, then the authenticator.
      await page.context().clearCookies();
      const request = await passwordStep(page, user);
      const mfa = new MfaPage(page);
      await mfa.waitForHeading(CHALLENGE_HEADING);
      const webauthn = new WebAuthnPage(page);
      await webauthn.ready();
      assert.equal(await page.getByRole('button', { name: k.button, exact: true }).count(), 1);
      await page.screenshot({ path: `/tmp/webauthn-challenge-${k.kind}.png`, fullPage: true });
      await page.getByRole('button', { name: k.button, exact: true }).click();
      await page.waitForURL(atRedirectUri);
      const claims = await idTokenClaims(page, request.verifier);
      assert.deepEqual(claims.amr, ['pwd', 'mfa', ...k.amr]);
      assert.equal(claims.acr, 'urn:gatehouse:loa:2');

      const [after] = await server.gatehouse.mfa.listMethods(user.id);
      assert.ok(Number(after.config.counter) > counterAfterEnrolment, `signature counter advanced (${counterAfterEnrolment} → ${after.config.counter})`);
      assert.ok(after.lastUsedAt, 'last-used date recorded');
    });
  }

  it('refuses a cloned security key whose signature counter goes backwards, and audits it', async () => {
    const user = await server.createUser({ mfa: false });
    const original = await device('usb');
    await enrol(original.page, user, 'Security key', 'YubiKey');
    const [snapshot] = await original.credentials(); // the key's state when it was copied

    // The genuine key is used once: the stored counter moves past the copy's.
    await original.context.clearCookies();
    await passwordStep(original.page, user);
    await new WebAuthnPage(original.page).ready();
    await original.page.getByRole('button', { name: 'Use security key', exact: true }).click();
    await original.page.waitForURL(atRedirectUri);

    // The copy: same private key and credential id, older counter.
    const copy = await device('usb');
    await copy.cdp.send('WebAuthn.addCredential', { authenticatorId: copy.authenticatorId, credential: snapshot });
    await passwordStep(copy.page, user);
    const mfa = new MfaPage(copy.page);
    await mfa.waitForHeading(CHALLENGE_HEADING);
    await new WebAuthnPage(copy.page).ready();
    await copy.page.getByRole('button', { name: 'Use security key', exact: true }).click();
    await mfa.message('mfa.webauthn_possible_clone').waitFor({ state: 'visible' });
    assert.equal(await mfa.headingText(), CHALLENGE_HEADING);
    assert.equal(new URL(copy.page.url()).origin, server.url);

    const events = await server.gatehouse.db.knex('audit_events').where({ action: 'mfa.webauthn_counter_regression', target: user.id });
    assert.equal(events.length, 1);
    assert.equal(events[0].outcome, 'denied');
  });

  it('offers the other methods under "Try another method" and explains that WebAuthn needs JavaScript', async () => {
    const user = await server.createUser({ mfa: false });
    const { page } = await device('internal');
    await enrol(page, user, 'Built-in authenticator', 'Laptop');

    const noJs = await device('internal', { javaScriptEnabled: false });
    await passwordStep(noJs.page, user);
    const mfa = new MfaPage(noJs.page);
    await mfa.waitForHeading(CHALLENGE_HEADING);
    await mfa.message('webauthn.no_javascript').waitFor({ state: 'visible' });
    await noJs.page.screenshot({ path: '/tmp/webauthn-no-javascript.png', fullPage: true });
    assert.equal(await noJs.page.getByRole('button', { name: 'Use built-in authenticator', exact: true }).isDisabled(), true);
    await mfa.tryAnotherMethod.click();
    assert.equal(await noJs.page.getByRole('button', { name: 'Recovery code', exact: true }).count(), 1);
  });

  it('refuses a bad signature with a message, and the retry (with a fresh challenge) gets in', async () => {
    const user = await server.createUser({ mfa: false });
    const { page, cdp, authenticatorId } = await device('usb');
    await enrol(page, user, 'Security key', 'YubiKey');
    await page.context().clearCookies();
    const request = await passwordStep(page, user);
    const mfa = new MfaPage(page);
    await mfa.waitForHeading(CHALLENGE_HEADING);
    const webauthn = new WebAuthnPage(page);
    await webauthn.ready();

    await cdp.send('WebAuthn.setResponseOverrideBits', { authenticatorId, isBogusSignature: true });
    await page.getByRole('button', { name: 'Use security key', exact: true }).click();
    await mfa.message('mfa.webauthn_failed').waitFor({ state: 'visible' });
    assert.equal(await mfa.headingText(), CHALLENGE_HEADING);

    await cdp.send('WebAuthn.setResponseOverrideBits', { authenticatorId, isBogusSignature: false });
    await webauthn.ready();
    await page.getByRole('button', { name: 'Use security key', exact: true }).click();
    await page.waitForURL(atRedirectUri);
    assert.deepEqual((await idTokenClaims(page, request.verifier)).amr, ['pwd', 'mfa', 'hwk']);
  });
});
