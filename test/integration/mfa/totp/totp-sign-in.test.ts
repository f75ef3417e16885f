// Mandatory MFA with an authenticator app and recovery codes, as a person without JavaScript sees it.
import assert from 'node:assert/strict';
import { startGatehouse, type TestServer, type TestUser } from '../../../helpers/gatehouse-server.ts';
import { CookieJar, follow, formAction, postForm, type Step } from '../../../helpers/browserless-user.ts';
import { totpCode } from '../../../../accounts/totp.ts';
import { authorizationRequest, idTokenClaims, startPasswordLogin } from '../../../helpers/authorization.ts';

describe('MFA: authenticator app and recovery codes', () => {
  let server: TestServer;
  let client: Awaited<ReturnType<TestServer['createClient']>>;
  let offsetMs = 0;
  const clock = () => Date.now() + offsetMs;

  before(async () => {
    server = await startGatehouse(undefined, {}, { clock });
    client = await server.createClient();
  });
  after(() => server?.close());
  beforeEach(() => {
    offsetMs = 0;
  });

  const testid = (html: string) => [...html.matchAll(/data-testid="message\/([^"]+)"/g)].map((m) => m[1]);
  const heading = (html: string) => html.match(/<h1>([^<]+)<\/h1>/)?.[1];

  const startLogin = (user: { username: string; password: string }) => startPasswordLogin(server.url, client, user);

  const submit = (jar: CookieJar, page: Step, fields: Record<string, string>, actionPattern?: RegExp) => {
    const action = actionPattern ? new URL(page.body.match(actionPattern)![1], server.url).href : formAction(page.body, page.url);
    return postForm(jar, action, server.url, fields);
  };

  const claimsOf = (step: Step, verifier: string) => idTokenClaims(server.url, client, step.location!, verifier);

  it('makes an account without a method set one up, shows recovery codes once, then lets it in', async () => {
    const user = await server.createUser({ mfa: false });
    const { jar, step: chooser, verifier } = await startLogin(user);
    assert.equal(heading(chooser.body), 'Set up multi-factor authentication');
    assert.match(chooser.body, /<label for="kind-totp">Authenticator app<\/label>/);
    const setup = await submit(jar, chooser, { kind: 'totp' }, /action="(\/interaction\/[^"]+\/enrol\/choose)"/);
    const secret = setup.body.match(/data-testid="totp\/secret">([^<]+)</)![1].replace(/\s/g, '');
    assert.match(setup.body, /<img src="data:image\/png;base64,/, 'QR code shown');

    const wrong = await submit(jar, setup, { name: 'My phone', code: '000000' });
    assert.deepEqual(testid(wrong.body), ['mfa.invalid_code']);
    assert.equal(wrong.body.match(/data-testid="totp\/secret">([^<]+)</)![1].replace(/\s/g, ''), secret, 'same secret after an error');

    const codesPage = await submit(jar, wrong, { name: 'My phone', code: await totpCode(secret) });
    assert.equal(heading(codesPage.body), 'Save your recovery codes');
    const codes = [...codesPage.body.matchAll(/<li><code>([A-Z0-9-]+)<\/code><\/li>/g)].map((m) => m[1]);
    assert.equal(codes.length, 10);
    const done = await submit(jar, codesPage, {});
    assert.ok(done.location?.startsWith(client.redirect_uris[0]), `landed on the RP, got ${done.location}`);
    const claims = await claimsOf(done, verifier);
    assert.deepEqual(claims.amr, ['pwd', 'mfa', 'otp']);
    assert.equal(claims.acr, 'urn:gatehouse:loa:2');

    const methods = await server.gatehouse.mfa.listMethods(user.id);
    assert.deepEqual(methods.map((m) => [m.kind, m.name]), [['totp', 'My phone']]);
    assert.ok(!JSON.stringify(methods[0].config).includes(secret), 'seed encrypted at rest');
  });

  it('challenges a registered app, refuses a replayed code and a future code, accepts the previous step', async () => {
    const user = await server.createUser();
    const first = await startLogin(user);
    assert.equal(heading(first.step.body), 'Verify it’s you');
    const code = await totpCode(user.totpSecret!, clock());
    const ok = await submit(first.jar, first.step, { code });
    assert.ok(ok.location?.startsWith(client.redirect_uris[0]));

    const replay = await startLogin(user);
    const refused = await submit(replay.jar, replay.step, { code });
    assert.deepEqual(testid(refused.body), ['mfa.code_already_used']);

    offsetMs = 60_000; // two steps later
    const future = await submit(replay.jar, refused, { code: await totpCode(user.totpSecret!, clock() + 30_000) });
    assert.deepEqual(testid(future.body), ['mfa.invalid_code']);
    const previous = await submit(replay.jar, future, { code: await totpCode(user.totpSecret!, clock() - 30_000) });
    assert.ok(previous.location?.startsWith(client.redirect_uris[0]), 'one step back is accepted');
  });

  it('accepts a recovery code once, through "Try another method"', async () => {
    const user = await server.createUser({ mfa: false });
    // Enrol through the pages to get real recovery codes.
    const setup = await startLogin(user);
    const page = await submit(setup.jar, setup.step, { kind: 'totp' }, /action="(\/interaction\/[^"]+\/enrol\/choose)"/);
    const secret = page.body.match(/data-testid="totp\/secret">([^<]+)</)![1].replace(/\s/g, '');
    const codesPage = await submit(setup.jar, page, { code: await totpCode(secret) });
    const recovery = codesPage.body.match(/<li><code>([A-Z0-9-]+)<\/code><\/li>/)![1];
    await submit(setup.jar, codesPage, {});

    const login = await startLogin(user);
    assert.match(login.step.body, /Try another method/);
    const switched = await submit(login.jar, login.step, { kind: 'recovery_code' }, /action="(\/interaction\/[^"]+\/mfa\/switch)"/);
    assert.match(switched.body, /<label for="recovery_code">Recovery code<\/label>/);
    const done = await submit(login.jar, switched, { recovery_code: recovery.toLowerCase().replace(/-/g, ' ') });
    assert.ok(done.location?.startsWith(client.redirect_uris[0]), 'case, spaces and dashes do not matter');

    const again = await startLogin(user);
    const other = await submit(again.jar, again.step, { kind: 'recovery_code' }, /action="(\/interaction\/[^"]+\/mfa\/switch)"/);
    const refused = await submit(again.jar, other, { recovery_code: recovery });
    assert.deepEqual(testid(refused.body), ['mfa.invalid_recovery_code']);
    assert.equal(await server.gatehouse.mfa.countRecoveryCodes(user.id), 9);
  });

  it('ends the flow after 5 wrong codes', async () => {
    const user = await server.createUser();
    const { jar, step } = await startLogin(user);
    let page = step;
    for (let i = 0; i < 4; i++) {
      page = await submit(jar, page, { code: '000000' });
      assert.deepEqual(testid(page.body), ['mfa.invalid_code']);
    }
    const last = await submit(jar, page, { code: '000000' });
    assert.equal(new URL(last.location!).searchParams.get('error'), 'access_denied');
  });

  it('lets an exempt service account in with its password alone, and says so in amr/acr', async () => {
    const service = await server.createUser({ mfa: false, password: 'A-much-longer-service-pass-1' });
    await server.gatehouse.db.knex('accounts').where({ id: service.id }).update({ service_account: true, mfa_exempt: true });
    const { step, verifier } = await startLogin(service);
    assert.ok(step.location?.startsWith(client.redirect_uris[0]));
    const claims = await claimsOf(step, verifier);
    assert.deepEqual(claims.amr, ['pwd']);
    assert.equal(claims.acr, 'urn:gatehouse:loa:1');
  });

  it('never exempts a human account, whatever the flag says', async () => {
    const human = await server.createUser({ mfa: false });
    await server.gatehouse.db.knex('accounts').where({ id: human.id }).update({ mfa_exempt: true });
    const { step } = await startLogin(human);
    assert.equal(heading(step.body), 'Set up multi-factor authentication');
  });
});


describe('MFA: what a relying party can demand', () => {
  let server: TestServer;
  let client: Awaited<ReturnType<TestServer['createClient']>>;
  before(async () => {
    server = await startGatehouse();
    client = await server.createClient();
  });
  after(() => server?.close());

  const authUrl = (extra: Record<string, string>) => authorizationRequest(server.url, client, extra).url;

  it('asks again for every factor when acr_values demands MFA of a single-factor session', async () => {
    const service = await server.createUser({ mfa: false, password: 'A-much-longer-service-pass-1' });
    await server.gatehouse.db.knex('accounts').where({ id: service.id }).update({ service_account: true, mfa_exempt: true });
    const jar = new CookieJar();
    const page = await follow(jar, authUrl({}), server.url);
    const done = await postForm(jar, formAction(page.body, page.url), server.url, { username: service.username, password: service.password });
    assert.ok(done.location?.startsWith(client.redirect_uris[0]), 'single-factor login done');

    const demanding = await follow(jar, authUrl({ acr_values: 'urn:gatehouse:loa:2' }), server.url);
    assert.equal(demanding.status, 200, 'the session does not satisfy it: sign-in page again');
    assert.match(demanding.body, /<h1>Sign in<\/h1>/);
    const refused = await postForm(jar, formAction(demanding.body, demanding.url), server.url, { username: service.username, password: service.password });
    const back = new URL(refused.location!);
    assert.equal(back.searchParams.get('error'), 'access_denied');
    assert.match(back.searchParams.get('error_description') ?? '', /requires multi-factor/);
  });

  it('asks for password and MFA again when max_age has passed, even for a recent MFA', async () => {
    const user = await server.createUser();
    const jar = new CookieJar();
    const first = await signInAs(jar, user);
    assert.ok(first.location?.startsWith(client.redirect_uris[0]));
    const again = await follow(jar, authUrl({ max_age: '0' }), server.url);
    assert.match(again.body, /<h1>Sign in<\/h1>/);
    const mfa = await postForm(jar, formAction(again.body, again.url), server.url, { username: user.username, password: user.password });
    assert.match(mfa.body, /Verify it’s you/, 'a relying party never gets a carried-over MFA');
  });

  async function signInAs(jar: CookieJar, user: TestUser) {
    const page = await follow(jar, authUrl({}), server.url);
    const mfa = await postForm(jar, formAction(page.body, page.url), server.url, { username: user.username, password: user.password });
    return postForm(jar, formAction(mfa.body, mfa.url), server.url, { code: await totpCode(user.totpSecret!) });
  }
});
