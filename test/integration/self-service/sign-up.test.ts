// The "Create an account" page: every reference rule with its message next to its field, the
// captcha (solved with altcha-lib's solver, as the widget does), terms, the root organization,
// and what the page does and does not reveal.
import assert from 'node:assert/strict';
import { startGatehouse, uniqueName, type TestServer } from '../../helpers/gatehouse-server.ts';
import { CookieJar, follow, request } from '../../helpers/browserless-user.ts';
import { solveCaptcha } from '../../helpers/captcha.ts';
import { messageCodes } from '../../helpers/self-service.ts';

const STRONG = 'Lantern-Quiet-42';

describe('self-service: sign-up page', () => {
  let server: TestServer;
  before(async () => {
    server = await startGatehouse();
  });
  after(() => server?.close());

  const valid = () => {
    const username = uniqueName('new_');
    return { email: `${username}@example.com`, username, phoneNumber: '+1 650 253 0000', password: STRONG, company: 'Initech Labs', terms: 'accepted' };
  };

  async function submit(fields: Record<string, string>, options: { captcha?: boolean | string; headers?: Record<string, string> } = {}) {
    const altcha = typeof options.captcha === 'string' ? options.captcha : options.captcha === false ? '' : await solveCaptcha(server.url);
    return request(new CookieJar(), `${server.url}/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...options.headers },
      body: new URLSearchParams({ ...fields, altcha }).toString(),
    });
  }

  it('is linked from the sign-in page, with "Forgot your username or password?"', async () => {
    const client = await server.createClient();
    const url = new URL('/auth', server.url);
    url.search = new URLSearchParams({
      client_id: client.client_id,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: client.redirect_uris[0],
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }).toString();
    const page = await follow(new CookieJar(), url.href, server.url);
    // The links name this sign-in, so the journey returns to it (test/integration/pages/continuity.test.ts).
    const uid = /\/interaction\/([\w-]+)/.exec(page.url)![1];
    assert.match(page.body, new RegExp(`<a href="/signup\\?interaction=${uid}" data-testid="link/sign-up">Create an account</a>`));
    assert.match(page.body, new RegExp(`<a href="/forgot\\?interaction=${uid}" data-testid="link/forgot">Forgot your username or password\\?</a>`));
  });

  it('has labelled Email, Username, Phone Number, Password and Company fields, terms, captcha and "Accept and create account"', async () => {
    const page = await request(new CookieJar(), `${server.url}/signup`);
    assert.equal(page.status, 200);
    for (const [id, label] of [['email', 'Email'], ['username', 'Username'], ['phoneNumber', 'Phone Number'], ['password', 'Password'], ['company', 'Company']]) {
      assert.match(page.body, new RegExp(`<label for="${id}">${label}</label>`));
      assert.match(page.body, new RegExp(`<input id="${id}" name="${id}"`));
    }
    assert.match(page.body, /<input id="terms" name="terms" type="checkbox" value="accepted">/);
    assert.match(page.body, /<label for="terms">I agree to the <a href="\/terms"[^>]*>terms of service<\/a><\/label>/);
    assert.match(page.body, /<altcha-widget challenge="\/signup\/captcha" name="altcha">/);
    assert.match(page.body, /<button type="submit">Accept and create account<\/button>/);
    assert.match(page.body, /<script type="module" src="\/static\/captcha.js"><\/script>/);
    assert.ok(!/<script>/.test(page.body), 'no inline script');
    const terms = await request(new CookieJar(), `${server.url}/terms`);
    assert.equal(terms.status, 200);
    assert.match(terms.body, /<h1>Terms of service<\/h1>/);
  });

  // Every rule of the reference page, each with its own message next to its field.
  const rules: [string, Record<string, string>, string[]][] = [
    ['an invalid email', { email: 'not-an-email' }, ['email.invalid']],
    ['a 2-character username', { username: 'ab' }, ['username.too_short']],
    ['a username with a dot', { username: 'ann.b' }, ['username.invalid_characters']],
    ['a username with a space', { username: 'ann b' }, ['username.invalid_characters']],
    ['a phone number without country code', { phoneNumber: '650 253 0000' }, ['phone.invalid']],
    ['a phone number without area code', { phoneNumber: '+1 253 0000' }, ['phone.invalid']],
    ['no phone number', { phoneNumber: '' }, ['phone.required']],
    ['a 7-character password', { password: 'Lant-42' }, ['password.length']],
    ['a 65-character password', { password: 'Aa1' + 'x'.repeat(62) }, ['password.length']],
    ['a password without uppercase', { password: 'lantern-quiet-42' }, ['password.missing_uppercase']],
    ['a password without lowercase', { password: 'LANTERN-QUIET-42' }, ['password.missing_lowercase']],
    ['a password without a number', { password: 'Lantern-Quiet' }, ['password.missing_number']],
    ['a password with a non-ASCII letter', { password: 'Läntern-Quiet-42' }, ['password.invalid_characters']],
    ['a common password', { password: 'Password1' }, ['password.too_common']],
    ['a 1-character company', { company: 'I' }, ['company.too_short']],
    ['terms not accepted', { terms: '' }, ['terms.required']],
  ];
  for (const [name, change, codes] of rules) {
    it(`refuses ${name} with ${codes.join(', ')} next to the field`, async () => {
      // The rules are checked whether or not the captcha was solved (only "taken" waits for it).
      const page = await submit({ ...valid(), ...change }, { captcha: false });
      assert.equal(page.status, 400);
      assert.deepEqual(messageCodes(page.body), [...codes, 'captcha.failed']);
      const field = codes[0].startsWith('phone') ? 'phoneNumber' : codes[0].split('.')[0];
      assert.match(page.body, new RegExp(`id="${field}-error-1" data-testid="message/${codes[0]}"`), 'the message sits with its field');
    });
  }

  it('refuses an unsolved, a replayed and a forged captcha', async () => {
    const none = await submit(valid(), { captcha: false });
    assert.equal(none.status, 400);
    assert.deepEqual(messageCodes(none.body), ['captcha.failed']);
    const forged = await submit(valid(), { captcha: Buffer.from(JSON.stringify({ challenge: null, solution: null, test: true })).toString('base64') });
    assert.deepEqual(messageCodes(forged.body), ['captcha.failed']);
    const solved = await solveCaptcha(server.url);
    const first = await submit(valid(), { captcha: solved });
    assert.equal(first.status, 201);
    const replay = await submit(valid(), { captcha: solved });
    assert.equal(replay.status, 400);
    assert.deepEqual(messageCodes(replay.body), ['captcha.failed']);
  });

  it('keeps what was typed (escaped) but never the password', async () => {
    const fields = { ...valid(), company: '<b>X</b>', email: 'x"@example.com', password: 'Secret-Echo-99' };
    const page = await submit(fields, { captcha: false });
    assert.match(page.body, new RegExp(`<input id="username" name="username" type="text" value="${fields.username}"`));
    assert.match(page.body, /value="&lt;b&gt;X&lt;\/b&gt;"/);
    assert.match(page.body, /value="x&quot;@example.com"/);
    assert.match(page.body, /value="\+1 650 253 0000"/);
    assert.match(page.body, /name="terms" type="checkbox" value="accepted" checked/);
    assert.ok(!page.body.includes('Secret-Echo-99'));
    assert.ok(!page.body.includes('<b>X</b>'));
  });

  it('creates the account, a root organization named after the company, with the user as owner and administrator', async () => {
    const fields = valid();
    const page = await submit(fields);
    assert.equal(page.status, 201);
    assert.deepEqual(messageCodes(page.body), ['account.created']);
    assert.match(page.body, /<a href="\/account" data-testid="link\/sign-in">Sign in<\/a>/);
    const { knex } = server.gatehouse.db;
    const account = await knex('accounts').whereRaw('lower(username) = ?', [fields.username.toLowerCase()]).first();
    assert.equal(account.email, fields.email);
    assert.equal(account.phone_number, '+16502530000', 'stored in E.164');
    assert.equal(account.email_verified, false);
    const roles = await knex('memberships as m').join('organizations as o', 'o.id', 'm.organization_id').where('m.account_id', account.id).select('m.role', 'o.name', 'o.parent_id');
    assert.deepEqual(roles.map((r) => r.role).sort(), ['admin', 'owner']);
    assert.ok(roles.every((r) => r.name === 'Initech Labs' && r.parent_id === null));
    const credential = await knex('credentials').where({ account_id: account.id, type: 'password' }).first();
    assert.match(credential.config.hash, /^\$argon2id\$/);
    const audit = await knex('audit_events').where({ action: 'account.create', target: account.id }).first();
    assert.equal(audit.outcome, 'success');
  });

  it('says a username is taken (any case), but an email address can be used by many accounts', async () => {
    const first = valid();
    assert.equal((await submit(first)).status, 201);
    const taken = await submit({ ...valid(), username: first.username.toUpperCase() });
    assert.equal(taken.status, 400);
    assert.deepEqual(messageCodes(taken.body), ['username.taken']);
    const sameEmail = await submit({ ...valid(), email: first.email });
    assert.equal(sameEmail.status, 201);
  });

  it('does not reveal whether an email address is already used', async () => {
    const used = valid();
    assert.equal((await submit(used)).status, 201);
    const normalize = (html: string) => html.replace(/value="[^"]*"/g, 'value=""');
    // Same error elsewhere, with a used and with an unused address: identical page and status.
    const a = await submit({ ...valid(), email: used.email, company: 'X' }, { captcha: false });
    const b = await submit({ ...valid(), email: `fresh_${used.email}`, company: 'X' }, { captcha: false });
    assert.equal(a.status, b.status);
    assert.equal(normalize(a.body), normalize(b.body));
    const okA = await submit({ ...valid(), email: used.email });
    const okB = await submit({ ...valid(), email: `fresh2_${used.email}` });
    assert.equal(okA.status, okB.status);
    assert.deepEqual(messageCodes(okA.body), messageCodes(okB.body));
  });

  it('without a solved captcha, never says whether a username is taken', async () => {
    const first = valid();
    assert.equal((await submit(first)).status, 201);
    const probe = await submit({ ...valid(), username: first.username }, { captcha: false });
    assert.deepEqual(messageCodes(probe.body), ['captcha.failed']);
  });

  it('refuses a form posted from another site', async () => {
    const page = await submit(valid(), { headers: { origin: 'https://evil.example' } });
    assert.equal(page.status, 403);
    assert.match(page.body, /data-testid="error\/request.cross_site"/);
  });

  it('serves the captcha challenge and the self-hosted widget files', async () => {
    const challenge = await fetch(`${server.url}/signup/captcha`);
    assert.equal(challenge.headers.get('cache-control'), 'no-store');
    const body = (await challenge.json()) as { parameters: { algorithm: string; expiresAt: number }; signature: string };
    assert.equal(body.parameters.algorithm, 'PBKDF2/SHA-256');
    assert.ok(body.parameters.expiresAt > Date.now() / 1000);
    assert.match(body.signature, /^[0-9a-f]{64}$/);
    for (const [file, type] of [['altcha.js', /javascript/], ['altcha.css', /text\/css/], ['altcha-pbkdf2-worker.js', /javascript/]] as const) {
      const response = await fetch(`${server.url}/static/vendor/${file}`);
      assert.equal(response.status, 200, file);
      assert.match(response.headers.get('content-type') ?? '', type);
    }
    assert.equal((await fetch(`${server.url}/static/vendor/..%2Fpackage.json`)).status, 404);
  });
});
