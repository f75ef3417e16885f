// Profile → "Configure multi-factor authentication (MFA)", and the re-authentication it demands.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startGatehouse, type TestServer, type TestUser } from '../../../helpers/gatehouse-server.ts';
import { CookieJar, follow, formAction, postForm, request, type Step } from '../../../helpers/browserless-user.ts';
import { totpCode } from '../../../../accounts/totp.ts';
import { enrolDevice } from '../../../../server/authenticator-device.ts';

const MINUTE = 60_000;

describe('MFA: managing verification methods from the profile', () => {
  let server: TestServer;
  let offsetMs = 0;
  const clock = () => Date.now() + offsetMs;

  before(async () => {
    server = await startGatehouse(undefined, {}, { clock });
  });
  after(() => server?.close());
  beforeEach(() => {
    offsetMs = 0;
  });

  const heading = (html: string) => html.match(/<h1>([^<]+)<\/h1>/)?.[1];
  const messages = (html: string) => [...html.matchAll(/data-testid="message\/([^"]+)"/g)].map((m) => m[1]);
  const csrf = (html: string) => html.match(/name="csrf" value="([^"]+)"/)![1];

  /** Opens /account/mfa; signs in (password, then TOTP if asked) when sent to the sign-in page. */
  async function openManagement(jar: CookieJar, user: TestUser, expect: { mfa: boolean } = { mfa: true }) {
    let page = await follow(jar, `${server.url}/account/mfa`, server.url);
    if (heading(page.body) === 'Sign in') {
      page = await postForm(jar, formAction(page.body, page.url), server.url, { username: user.username, password: user.password });
      assert.equal(heading(page.body) === 'Verify it’s you', expect.mfa, `MFA asked: ${expect.mfa}`);
      if (expect.mfa) page = await postForm(jar, formAction(page.body, page.url), server.url, { code: await totpCode(user.totpSecret!, clock()) });
    }
    return page;
  }

  const post = (jar: CookieJar, page: Step, url: string, fields: Record<string, string>) =>
    postForm(jar, `${server.url}${url}`, server.url, { csrf: csrf(page.body), ...fields });

  it('lists methods after signing in through the provider, renames, refuses to remove the last one', async () => {
    const user = await server.createUser();
    const jar = new CookieJar();
    const page = await openManagement(jar, user);
    assert.equal(heading(page.body), 'Configure multi-factor authentication (MFA)');
    const [method] = await server.gatehouse.mfa.listMethods(user.id);
    assert.match(page.body, new RegExp(`data-testid="mfa/method/${method.id}"`));

    const renamed = await post(jar, page, `/account/mfa/${method.id}/rename`, { name: 'Work phone' });
    assert.deepEqual(messages(renamed.body), ['mfa.renamed']);
    assert.match(renamed.body, /Work phone/);

    const ask = await post(jar, renamed, `/account/mfa/${method.id}/remove`, {});
    assert.equal(heading(ask.body), 'Remove verification method');
    const refused = await postForm(jar, `${server.url}/account/mfa/${method.id}/remove`, server.url, { csrf: csrf(ask.body), confirm: 'yes' });
    assert.equal(refused.status, 409);
    assert.deepEqual(messages(refused.body), ['mfa.last_method']);
    assert.equal((await server.gatehouse.mfa.listMethods(user.id)).length, 1);
  });

  it('adds a second app, then removes one with "Yes"; each change is audited and emailed', async () => {
    const user = await server.createUser();
    const jar = new CookieJar();
    await openManagement(jar, user);
    const add = await follow(jar, `${server.url}/account/mfa/add/totp`, server.url);
    const secret = add.body.match(/data-testid="totp\/secret">([^<]+)</)![1].replace(/\s/g, '');
    const wrong = await postForm(jar, formAction(add.body, add.url), server.url, { csrf: csrf(add.body), name: 'Tablet', code: '000000' });
    assert.deepEqual(messages(wrong.body), ['mfa.invalid_code']);
    const added = await postForm(jar, formAction(wrong.body, wrong.url), server.url, { csrf: csrf(wrong.body), name: 'Tablet', code: await totpCode(secret, clock()) });
    assert.deepEqual(messages(added.body), ['mfa.added']);
    const methods = await server.gatehouse.mfa.listMethods(user.id);
    assert.deepEqual(methods.map((m) => m.name), ['Test app', 'Tablet']);

    const removed = await postForm(jar, `${server.url}/account/mfa/${methods[0].id}/remove`, server.url, { csrf: csrf(added.body), confirm: 'yes' });
    assert.deepEqual(messages(removed.body), ['mfa.removed']);
    assert.deepEqual((await server.gatehouse.mfa.listMethods(user.id)).map((m) => m.name), ['Tablet']);

    const events = await server.gatehouse.db.knex('audit_events').where({ target: user.id }).whereIn('action', ['mfa.method_added', 'mfa.method_removed']).select('action');
    assert.deepEqual(events.map((e) => e.action).sort(), ['mfa.method_added', 'mfa.method_removed']);
    const outbox = fs.readdirSync(path.join(server.dataDir, 'outbox')).map((f) => fs.readFileSync(path.join(server.dataDir, 'outbox', f), 'utf8'));
    assert.ok(outbox.filter((m) => m.includes(`To: ${user.username}@example.com`) && m.includes('verification methods changed')).length >= 2);
  });

  it('regenerates recovery codes: ten new ones shown once, the old ones stop working', async () => {
    const user = await server.createUser();
    const jar = new CookieJar();
    const page = await openManagement(jar, user);
    const shown = await post(jar, page, '/account/mfa/recovery-codes', {});
    const codes = [...shown.body.matchAll(/<li><code>([A-Z0-9-]+)<\/code><\/li>/g)].map((m) => m[1]);
    assert.equal(codes.length, 10);
    assert.equal(await server.gatehouse.mfa.countRecoveryCodes(user.id), 10);
    const again = await post(jar, page, '/account/mfa/recovery-codes', {});
    const next = [...again.body.matchAll(/<li><code>([A-Z0-9-]+)<\/code><\/li>/g)].map((m) => m[1]);
    assert.equal(next.filter((c) => codes.includes(c)).length, 0);
    assert.equal(await server.gatehouse.mfa.countRecoveryCodes(user.id), 10);
  });

  it('refuses a change without this session’s CSRF token', async () => {
    const user = await server.createUser();
    const jar = new CookieJar();
    await openManagement(jar, user);
    const [method] = await server.gatehouse.mfa.listMethods(user.id);
    const forged = await request(jar, `${server.url}/account/mfa/${method.id}/rename`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name: 'Hacked', csrf: 'not-the-token' }).toString(),
    });
    assert.equal(forged.status, 403);
    assert.equal((await server.gatehouse.mfa.listMethods(user.id))[0].name, 'Test app');
  });

  it('asks for the password again after 30 minutes, and for password and MFA after 8 hours', async () => {
    const user = await server.createUser();
    const jar = new CookieJar();
    await openManagement(jar, user);

    offsetMs = 20 * MINUTE;
    const fresh = await follow(jar, `${server.url}/account/mfa`, server.url);
    assert.equal(heading(fresh.body), 'Configure multi-factor authentication (MFA)', 'no prompt inside 30 minutes');

    offsetMs = 31 * MINUTE;
    const stale = await follow(jar, `${server.url}/account/mfa`, server.url);
    assert.equal(heading(stale.body), 'Sign in');
    assert.deepEqual(messages(stale.body), ['session.reauthenticate']);
    const back = await openManagement(jar, user, { mfa: false });
    assert.equal(heading(back.body), 'Configure multi-factor authentication (MFA)', 'password alone: MFA is inside 8 hours');

    offsetMs = 9 * 60 * MINUTE;
    const old = await openManagement(jar, user, { mfa: true });
    assert.equal(heading(old.body), 'Configure multi-factor authentication (MFA)', 'password and MFA after 8 hours');
  });
});

describe('MFA: adding a push device from the profile', () => {
  let server: TestServer;
  before(async () => {
    server = await startGatehouse();
  });
  after(() => server?.close());

  it('enrols the reference device with the code the profile shows', async () => {

    const user = await server.createUser();
    const jar = new CookieJar();
    let page = await follow(jar, `${server.url}/account/mfa/add/push`, server.url);
    page = await postForm(jar, formAction(page.body, page.url), server.url, { username: user.username, password: user.password });
    page = await postForm(jar, formAction(page.body, page.url), server.url, { code: await totpCode(user.totpSecret!) });
    const code = page.body.match(/data-testid="push\/code">([^<]+)</)![1];
    await enrolDevice({ code, server: server.url, name: 'CLI device' });
    const csrfToken = page.body.match(/name="csrf" value="([^"]+)"/)![1];
    const done = await postForm(jar, `${server.url}/account/mfa/add/push`, server.url, { csrf: csrfToken });
    assert.match(done.body, /data-testid="message\/mfa.added"/);
    assert.deepEqual((await server.gatehouse.mfa.listMethods(user.id)).map((m) => m.kind), ['totp', 'push']);
  });
});
