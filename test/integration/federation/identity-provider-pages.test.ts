// Access Management → Identity Providers without JavaScript: add an OIDC IdP (the secret field is
// write-only), "Test connection", change and remove it, and the sign-in settings form (domains, SSO
// required, profile linking). Same services as the API, so the same rules.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CookieJar, follow, postForm, request, signIn } from '../../helpers/browserless-user.ts';
import type { TestServer, TestUser } from '../../helpers/gatehouse-server.ts';
import { addMember } from '../../helpers/organization-fixtures.ts';
import type { UpstreamIdp } from '../../helpers/upstream-idp.ts';
import { startFederatedGatehouse, startIdp } from './federation-fixtures.ts';

const csrfOf = (html: string) => html.match(/name="_csrf" value="([^"]+)"/)?.[1] ?? '';

describe('admin pages: identity providers', () => {
  let server: TestServer;
  let alpha: UpstreamIdp;
  let owner: TestUser;
  let jar: CookieJar;

  before(async () => {
    server = await startFederatedGatehouse();
    alpha = await startIdp(server, 'alpha');
    owner = await server.createUser({ company: 'Pages Inc' });
    ({ jar } = await signIn(`${server.url}/admin/identity-providers`, owner));
  });
  after(async () => {
    await alpha?.close();
    await server?.close();
  });

  it('saves the sign-in settings (first: the organization has no IdP yet): domains, SSO required, profile linking', async () => {
    const page = await request(jar, `${server.url}/admin/identity-providers`);
    const domain = `pages-${randomBytes(3).toString('hex')}.example`;
    const bad = await postForm(jar, `${server.url}/admin/identity-providers`, server.url, { _csrf: csrfOf(page.body), action: 'settings', domains: 'not_a_domain' });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /data-testid="message\/domain.invalid"/);
    const noIdp = await postForm(jar, `${server.url}/admin/identity-providers`, server.url, { _csrf: csrfOf(page.body), action: 'settings', domains: domain, ssoRequired: 'on' });
    assert.equal(noIdp.status, 409);
    assert.match(noIdp.body, /data-testid="message\/sso.no_identity_provider"/);
    const saved = await postForm(jar, `${server.url}/admin/identity-providers`, server.url, { _csrf: csrfOf(page.body), action: 'settings', domains: `${domain.toUpperCase()}\n`, allowProfileLinking: 'on' });
    assert.match(saved.body, /data-testid="message\/settings.saved"/);
    assert.match(saved.body, new RegExp(`>${domain.replace(/\./g, '\\.')}</textarea>`));
    assert.match(saved.body, /id="allowProfileLinking" name="allowProfileLinking" type="checkbox" checked/);
    const settings = await server.gatehouse.federation.store.settings(owner.organizationId);
    assert.deepEqual(settings, { organizationId: owner.organizationId, domains: [domain], ssoRequired: false, allowProfileLinking: true });
  });

  it('adds an IdP from the form; the secret is never shown or echoed back', async () => {
    const page = await request(jar, `${server.url}/admin/identity-providers`);
    assert.equal(page.status, 200);
    assert.match(page.body, /data-testid="idps\/none"/);
    assert.match(page.body, new RegExp(`data-testid="idps/redirect-uri">${server.url}/federation/callback<`));
    assert.match(page.body, /data-testid="idps\/gatehouse"/, 'the Gatehouse IdP’s own settings stay linked');
    const form = {
      _csrf: csrfOf(page.body), action: 'create', name: 'Alpha SSO', issuer: alpha.issuer, clientId: alpha.clientId, clientSecret: alpha.clientSecret,
      scopes: 'openid email profile', claimSubject: 'sub', claimEmail: 'email', claimEmailVerified: 'email_verified', claimName: 'name', showButton: 'on', enabled: 'on',
    };
    const invalid = await postForm(jar, `${server.url}/admin/identity-providers`, server.url, { ...form, scopes: 'email' });
    assert.equal(invalid.status, 400);
    assert.match(invalid.body, /data-testid="message\/idp.openid_scope_required"/);
    assert.ok(!invalid.body.includes(alpha.clientSecret), 'a typed secret is not echoed');

    const created = await postForm(jar, `${server.url}/admin/identity-providers`, server.url, form);
    assert.equal(created.status, 200);
    assert.match(created.body, /data-testid="message\/idp.created"/);
    assert.match(created.body, /<h1>Alpha SSO<\/h1>/);
    assert.equal(/data-testid="idp\/secret-status">([^<]*)</.exec(created.body)?.[1], 'Stored (never shown)');
    assert.ok(!created.body.includes(alpha.clientSecret));
    assert.match(created.body, /id="idp-show-button" name="showButton" type="checkbox" checked/);
    assert.doesNotMatch(created.body, /id="idp-provision" name="provisionUsers" type="checkbox" checked/);

    const tested = await postForm(jar, created.url, server.url, { _csrf: csrfOf(created.body), action: 'test' });
    assert.match(tested.body, /data-testid="message\/idp.connection_ok"/);
    assert.match(tested.body, /data-testid="check\/discovery"/);
    assert.match(tested.body, /data-testid="check\/jwks"/);

    const saved = await postForm(jar, created.url, server.url, { ...form, _csrf: csrfOf(created.body), action: 'update', name: 'Alpha Renamed', clientSecret: '', provisionUsers: 'on' });
    assert.match(saved.body, /data-testid="message\/idp.updated"/);
    assert.match(saved.body, /<h1>Alpha Renamed<\/h1>/);
    assert.match(saved.body, /id="idp-provision" name="provisionUsers" type="checkbox" checked/);
    const row = await server.gatehouse.db.knex('identity_providers').where({ name: 'Alpha Renamed' }).first();
    assert.equal(server.gatehouse.box.open(row.client_secret_sealed), alpha.clientSecret, 'an empty secret field keeps the stored secret');

    const list = await request(jar, `${server.url}/admin/identity-providers`);
    assert.match(list.body, /data-testid="idp\/Alpha Renamed"/);
    const removed = await postForm(jar, created.url, server.url, { _csrf: csrfOf(saved.body), action: 'delete', confirm: 'yes' });
    assert.match(removed.body, /data-testid="message\/idp.deleted"/);
    assert.match(removed.body, /data-testid="idps\/none"/);
  });

  it('"Test connection" on a broken IdP lists what is wrong', async () => {
    const page = await request(jar, `${server.url}/admin/identity-providers`);
    const created = await postForm(jar, `${server.url}/admin/identity-providers`, server.url, {
      _csrf: csrfOf(page.body), action: 'create', name: 'Nowhere', issuer: 'http://127.0.0.1:9', clientId: 'x', scopes: 'openid', enabled: 'on',
    });
    const tested = await postForm(jar, created.url, server.url, { _csrf: csrfOf(created.body), action: 'test' });
    assert.match(tested.body, /data-testid="message\/idp.connection_failed"/);
    assert.match(tested.body, /could not be reached/);
  });

  it('refuses a member, and a form without the CSRF token', async () => {
    const member = await addMember(server, { organizationId: owner.organizationId });
    const { jar: memberJar, step } = await signIn(`${server.url}/admin/identity-providers`, member);
    assert.equal(step.status, 403);
    const again = await follow(memberJar, `${server.url}/admin/identity-providers`, server.url);
    assert.equal(again.status, 403);
    const forged = await postForm(jar, `${server.url}/admin/identity-providers`, server.url, { _csrf: 'x'.repeat(43), action: 'settings', domains: '' });
    assert.equal(forged.status, 403);
  });
});
