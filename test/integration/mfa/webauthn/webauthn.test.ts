// WebAuthn second factors through the real pages, without a browser: a software authenticator
// (./soft-authenticator.ts) answers the options each page carries, so the server's checks run for
// real — single-use and expiring challenges, origin and RP ID, signatures, the signature counter.
// (The browser journeys with Chromium's virtual authenticator are in test/e2e/webauthn.test.ts; the
// strategy's own rules beside it, interactions/methods/webauthn-method.test.ts.)
import assert from 'node:assert/strict';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { startGatehouse, type TestServer, type TestUser } from '../../../helpers/gatehouse-server.ts';
import { idTokenClaims as claimsOf, startPasswordLogin } from '../../../helpers/authorization.ts';
import { CookieJar, follow, formAction, postForm, type Step } from '../../../helpers/browserless-user.ts';
import { WEBAUTHN_CHALLENGE_TTL_MS } from '../../../../interactions/methods/webauthn-method.ts';
import { SoftAuthenticator } from './soft-authenticator.ts';

const testids = (html: string) => [...html.matchAll(/data-testid="message\/([^"]+)"/g)].map((m) => m[1]);
/** Messages the server put on the page (the page script's own message slots are left out). */
const serverMessages = (html: string) => testids(html).filter((id) => !id.startsWith('webauthn.'));
const heading = (html: string) => html.match(/<h1>([^<]+)<\/h1>/)?.[1];

/** The ceremony options a WebAuthn page carries in data-webauthn-options (HTML-escaped JSON). */
function pageOptions<T>(html: string): T {
  const raw = html.match(/data-webauthn-options="([^"]*)"/)?.[1];
  assert.ok(raw, 'a WebAuthn page');
  const json = raw
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#92;/g, '\\')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
  return JSON.parse(json) as T;
}

describe('MFA: WebAuthn built-in authenticator and security key', () => {
  let server: TestServer;
  let client: Awaited<ReturnType<TestServer['createClient']>>;
  let offsetMs = 0;
  const clock = () => Date.now() + offsetMs;

  before(async () => {
    // WebAuthn's RP ID must be a domain: ISSUER is http://localhost:<port>.
    server = await startGatehouse(undefined, {}, { clock, issuerHost: 'localhost' });
    client = await server.createClient();
  });
  after(() => server?.close());
  beforeEach(() => {
    offsetMs = 0;
  });

  const startLogin = (user: { username: string; password: string }) => startPasswordLogin(server.url, client, user);

  const submit = (jar: CookieJar, page: Step, fields: Record<string, string>, actionPattern?: RegExp) => {
    const action = actionPattern ? new URL(page.body.match(actionPattern)![1], server.url).href : formAction(page.body, page.url);
    return postForm(jar, action, server.url, fields);
  };
  const choose = (jar: CookieJar, page: Step, kind: string) => submit(jar, page, { kind }, /action="(\/interaction\/[^"]+\/enrol\/choose)"/);
  const landed = (step: Step) => Boolean(step.location?.startsWith(client.redirect_uris[0]));

  const idTokenClaims = (step: Step, verifier: string) =>
    claimsOf(server.url, client, step.location!, verifier) as Promise<{ amr: string[]; acr: string }>;

  /** A user without a method registers `authenticator` as `kind` and saves the recovery codes. */
  async function enrol(kind: 'platform' | 'security_key', authenticator: SoftAuthenticator, name = 'My key') {
    const user = await server.createUser({ mfa: false });
    const { jar, step, verifier } = await startLogin(user);
    const page = await choose(jar, step, kind);
    const options = pageOptions<PublicKeyCredentialCreationOptionsJSON>(page.body);
    const codes = await submit(jar, page, { name, webauthn_response: JSON.stringify(authenticator.register(options, server.url)) });
    assert.equal(heading(codes.body), 'Save your recovery codes', serverMessages(codes.body).join());
    const done = await submit(jar, codes, {});
    assert.ok(landed(done), `landed on the RP, got ${done.location}`);
    return { user, options, done, verifier };
  }

  /** Password, then the challenge page of the user's default method. */
  async function challengePage(user: TestUser) {
    const login = await startLogin(user);
    assert.equal(heading(login.step.body), 'Verify it’s you');
    return { ...login, options: pageOptions<PublicKeyCredentialRequestOptionsJSON>(login.step.body) };
  }

  const counterRegressions = (userId: string) => server.gatehouse.db.knex('audit_events').where({ action: 'mfa.webauthn_counter_regression', target: userId });

  it('offers both kinds and registers a security key: options from ISSUER, credential stored, recovery codes, amr hwk', async () => {
    const user = await server.createUser({ mfa: false });
    const { jar, step, verifier } = await startLogin(user);
    assert.equal(heading(step.body), 'Set up multi-factor authentication');
    assert.match(step.body, /<label for="kind-platform">Built-in authenticator<\/label>/);
    assert.match(step.body, /<label for="kind-security_key">Security key<\/label>/);

    const page = await choose(jar, step, 'security_key');
    assert.equal(heading(page.body), 'Set up: Security key');
    assert.match(page.body, /<script src="\/static\/vendor\/simplewebauthn-browser\.js" defer><\/script>/);
    assert.match(page.body, /<script src="\/static\/webauthn\.js" defer><\/script>/);
    assert.equal(page.body.match(/<script(?![^>]*\ssrc=)[^>]*>/g), null, 'no inline script');
    assert.match(page.body, /data-testid="message\/webauthn\.no_javascript"/, 'a message for browsers without JavaScript');
    const options = pageOptions<PublicKeyCredentialCreationOptionsJSON>(page.body);
    assert.equal(options.rp.id, 'localhost');
    assert.equal(options.user.name, user.username);
    assert.equal(options.attestation, 'none');
    assert.deepEqual(options.excludeCredentials, []);
    assert.equal(options.authenticatorSelection?.authenticatorAttachment, 'cross-platform');
    assert.equal(options.authenticatorSelection?.userVerification, 'preferred');

    const key = new SoftAuthenticator({ attachment: 'cross-platform' });
    const response = key.register(options, server.url);
    const codes = await submit(jar, page, { name: 'YubiKey 5', webauthn_response: JSON.stringify(response) });
    assert.equal(heading(codes.body), 'Save your recovery codes');
    assert.equal([...codes.body.matchAll(/<li><code>/g)].length, 10);
    const done = await submit(jar, codes, {});
    assert.ok(landed(done));

    const [method] = await server.gatehouse.mfa.listMethods(user.id);
    assert.equal(method.kind, 'security_key');
    assert.equal(method.name, 'YubiKey 5');
    assert.equal(method.config.credentialId, response.id);
    assert.match(String(method.config.publicKey), /^[A-Za-z0-9_-]+$/, 'public key as base64url');
    assert.equal(method.config.counter, 0);
    assert.deepEqual(method.config.transports, ['usb']);
    assert.equal(method.config.attachment, 'cross-platform');
    assert.deepEqual((await idTokenClaims(done, verifier)).amr, ['pwd', 'mfa', 'hwk']);
  });

  it('signs in with a built-in authenticator: allowCredentials, user verification preferred, counter advanced, amr swk user', async () => {
    const device = new SoftAuthenticator({ attachment: 'platform' });
    const { user } = await enrol('platform', device, 'Laptop');
    const { jar, step, options, verifier } = await challengePage(user);
    assert.match(step.body, /Use built-in authenticator/);
    assert.equal(options.rpId, 'localhost');
    assert.equal(options.userVerification, 'preferred');
    assert.deepEqual(options.allowCredentials?.map((c) => c.id), [device.credentials[0].id.toString('base64url')]);

    const done = await submit(jar, step, { webauthn_response: JSON.stringify(device.authenticate(options, server.url)) });
    assert.ok(landed(done), serverMessages(done.body).join());
    const claims = await idTokenClaims(done, verifier);
    assert.deepEqual(claims.amr, ['pwd', 'mfa', 'swk', 'user']);
    assert.equal(claims.acr, 'urn:gatehouse:loa:2');
    const [method] = await server.gatehouse.mfa.listMethods(user.id);
    assert.equal(method.config.counter, 1);
    assert.ok(method.lastUsedAt);
  });

  it('prepares options once per challenge: a reload (or another language) shows the same options, which still work', async () => {
    const user = await server.createUser({ mfa: false });
    const { jar, step } = await startLogin(user);
    const page = await choose(jar, step, 'security_key');
    const options = pageOptions<PublicKeyCredentialCreationOptionsJSON>(page.body);
    const reload = await follow(jar, page.url, server.url, { headers: { 'accept-language': 'nb' } });
    assert.deepEqual(pageOptions<PublicKeyCredentialCreationOptionsJSON>(reload.body), options, 'no new registration options');
    const key = new SoftAuthenticator({ attachment: 'cross-platform' });
    const codes = await submit(jar, reload, { name: 'Key', webauthn_response: JSON.stringify(key.register(options, server.url)) });
    assert.equal(heading(codes.body), 'Save your recovery codes', serverMessages(codes.body).join());
    assert.ok(landed(await submit(jar, codes, {})));

    const signIn = await challengePage(user);
    const again = await follow(signIn.jar, signIn.step.url, server.url);
    assert.deepEqual(pageOptions<PublicKeyCredentialRequestOptionsJSON>(again.body), signIn.options, 'no new sign-in options');
    const done = await submit(signIn.jar, again, { webauthn_response: JSON.stringify(key.authenticate(signIn.options, server.url)) });
    assert.ok(landed(done));
    assert.deepEqual((await idTokenClaims(done, signIn.verifier)).amr, ['pwd', 'mfa', 'hwk']);
  });

  it('uses a challenge once: after a failed answer the old challenge is refused, and an accepted answer never works again', async () => {
    const key = new SoftAuthenticator();
    const { user } = await enrol('security_key', key);
    const first = await challengePage(user);
    const answerToFirst = key.authenticate(first.options, server.url);

    const garbage = await submit(first.jar, first.step, { webauthn_response: '{"nope":true}' });
    assert.deepEqual(serverMessages(garbage.body), ['mfa.webauthn_failed']);
    const second = pageOptions<PublicKeyCredentialRequestOptionsJSON>(garbage.body);
    assert.notEqual(second.challenge, first.options.challenge, 'a fresh challenge after a failure');

    const stale = await submit(first.jar, garbage, { webauthn_response: JSON.stringify(answerToFirst) });
    assert.deepEqual(serverMessages(stale.body), ['mfa.webauthn_failed'], 'an answer to a used challenge is refused');

    const current = pageOptions<PublicKeyCredentialRequestOptionsJSON>(stale.body);
    const accepted = key.authenticate(current, server.url);
    const done = await submit(first.jar, stale, { webauthn_response: JSON.stringify(accepted) });
    assert.ok(landed(done));

    const again = await challengePage(user);
    const replay = await submit(again.jar, again.step, { webauthn_response: JSON.stringify(accepted) });
    assert.deepEqual(serverMessages(replay.body), ['mfa.webauthn_failed'], 'a replayed answer is refused');
  });

  it('refuses an expired challenge with its own message and offers a fresh one', async () => {
    const key = new SoftAuthenticator();
    const { user } = await enrol('security_key', key);
    const { jar, step, options } = await challengePage(user);
    offsetMs = WEBAUTHN_CHALLENGE_TTL_MS + 1000;
    const late = await submit(jar, step, { webauthn_response: JSON.stringify(key.authenticate(options, server.url)) });
    assert.deepEqual(serverMessages(late.body), ['mfa.webauthn_challenge_expired']);
    assert.equal(heading(late.body), 'Verify it’s you');
    const fresh = pageOptions<PublicKeyCredentialRequestOptionsJSON>(late.body);
    const done = await submit(jar, late, { webauthn_response: JSON.stringify(key.authenticate(fresh, server.url)) });
    assert.ok(landed(done));
  });

  it('lets an authenticator that always reports counter 0 sign in repeatedly', async () => {
    const passkey = new SoftAuthenticator({ attachment: 'platform', counterStep: 0 });
    const { user } = await enrol('platform', passkey);
    for (let i = 0; i < 2; i++) {
      const { jar, step, options } = await challengePage(user);
      const done = await submit(jar, step, { webauthn_response: JSON.stringify(passkey.authenticate(options, server.url)) });
      assert.ok(landed(done), `sign-in ${i + 1}: ${serverMessages(done.body).join()}`);
    }
    assert.equal((await counterRegressions(user.id)).length, 0);
  });

  it('refuses a counter that repeats or goes backwards (a possibly cloned key) and audits it', async () => {
    const key = new SoftAuthenticator();
    const { user } = await enrol('security_key', key);
    const ok = await challengePage(user);
    assert.ok(landed(await submit(ok.jar, ok.step, { webauthn_response: JSON.stringify(key.authenticate(ok.options, server.url, { counter: 5 })) })));

    for (const counter of [5, 3, 0]) {
      const { jar, step, options } = await challengePage(user);
      const refused = await submit(jar, step, { webauthn_response: JSON.stringify(key.authenticate(options, server.url, { counter })) });
      assert.deepEqual(serverMessages(refused.body), ['mfa.webauthn_possible_clone'], `counter ${counter}`);
    }
    const events = await counterRegressions(user.id);
    assert.equal(events.length, 3);
    const details = typeof events[0].details === 'string' ? JSON.parse(events[0].details) : events[0].details;
    assert.equal(details.possible_cloned_key, true);
    assert.equal(events[0].outcome, 'denied');
    const [method] = await server.gatehouse.mfa.listMethods(user.id);
    assert.equal(method.config.counter, 5, 'the stored counter never moves back');

    const next = await challengePage(user);
    assert.ok(landed(await submit(next.jar, next.step, { webauthn_response: JSON.stringify(key.authenticate(next.options, server.url, { counter: 6 })) })));
  });

  it('refuses an answer made for another origin and a credential that is not registered', async () => {
    const key = new SoftAuthenticator();
    const { user } = await enrol('security_key', key);
    const { jar, step, options } = await challengePage(user);
    const phished = await submit(jar, step, { webauthn_response: JSON.stringify(key.authenticate(options, server.url, { origin: 'https://gatehouse.evil.example' })) });
    assert.deepEqual(serverMessages(phished.body), ['mfa.webauthn_failed']);

    // A valid key of someone else's (never registered to this account).
    const stranger = new SoftAuthenticator();
    stranger.register({ rp: { id: 'localhost', name: 'x' }, challenge: 'eA', excludeCredentials: [] } as unknown as PublicKeyCredentialCreationOptionsJSON, server.url);
    const fresh = pageOptions<PublicKeyCredentialRequestOptionsJSON>(phished.body);
    const strangersAnswer = stranger.authenticate({ ...fresh, allowCredentials: [{ id: stranger.credentials[0].id.toString('base64url'), type: 'public-key' }] }, server.url);
    const unknown = await submit(jar, phished, { webauthn_response: JSON.stringify(strangersAnswer) });
    assert.deepEqual(serverMessages(unknown.body), ['mfa.webauthn_unknown_credential']);
  });

  it('serves the page script and the allow-listed @simplewebauthn/browser bundle, nothing else from node_modules', async () => {
    const vendor = await fetch(`${server.url}/static/vendor/simplewebauthn-browser.js`);
    assert.equal(vendor.status, 200);
    assert.match(vendor.headers.get('content-type') ?? '', /javascript/);
    assert.match(await vendor.text(), /SimpleWebAuthnBrowser/);
    const script = await fetch(`${server.url}/static/webauthn.js`);
    assert.equal(script.status, 200);
    assert.match(await script.text(), /startAuthentication/);
    for (const path of ['/static/vendor/package.json', '/static/vendor/..%2F..%2Fpackage.json', '/static/vendor/toString']) {
      const response = await fetch(`${server.url}${path}`);
      assert.equal(response.status, 404, path);
      await response.body?.cancel();
    }
  });

  it('refuses to register a built-in authenticator as a security key', async () => {
    const user = await server.createUser({ mfa: false });
    const { jar, step } = await startLogin(user);
    const page = await choose(jar, step, 'security_key');
    const laptop = new SoftAuthenticator({ attachment: 'platform' });
    const refused = await submit(jar, page, { webauthn_response: JSON.stringify(laptop.register(pageOptions(page.body), server.url)) });
    assert.deepEqual(serverMessages(refused.body), ['mfa.webauthn_wrong_attachment']);
    assert.match(refused.body, /Choose “Built-in authenticator” to register it/);
    assert.deepEqual(await server.gatehouse.mfa.listMethods(user.id), []);
  });
});
