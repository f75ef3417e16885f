// The admin API's identity providers and sign-in settings: OIDC only, the client secret sealed at rest
// and never returned, "Test connection" saying what is wrong, organization isolation, permissions,
// domains (valid host names, unique across Gatehouse), and "Allow profile linking" for administrators only.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { TestServer, TestUser } from '../../helpers/gatehouse-server.ts';
import { addMember, api, appAccessToken, userAccessToken } from '../../helpers/organization-fixtures.ts';
import type { UpstreamIdp } from '../../helpers/upstream-idp.ts';
import { startFederatedGatehouse, startIdp } from './federation-fixtures.ts';

describe('admin API: identity providers and sign-in settings', () => {
  let server: TestServer;
  let alpha: UpstreamIdp;
  let ownerA: TestUser;
  let ownerB: TestUser;
  let tokenA: string;
  let tokenB: string;
  let memberToken: string;
  let plainOAuth: http.Server;
  let plainOAuthUrl: string;

  before(async () => {
    server = await startFederatedGatehouse();
    alpha = await startIdp(server, 'alpha');
    ownerA = await server.createUser({ company: 'Alpha Corp' });
    ownerB = await server.createUser({ company: 'Beta Corp' });
    const member = await addMember(server, { organizationId: ownerA.organizationId });
    const client = await server.createClient({ first_party: true });
    [tokenA, tokenB, memberToken] = await Promise.all([userAccessToken(server, ownerA, client), userAccessToken(server, ownerB, client), userAccessToken(server, member, client)]);
    // A plain OAuth 2.0 server: RFC 8414 metadata, no ID tokens.
    plainOAuth = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ issuer: plainOAuthUrl, authorization_endpoint: `${plainOAuthUrl}/authorize`, token_endpoint: `${plainOAuthUrl}/token`, response_types_supported: ['code'] }));
    });
    await new Promise<void>((resolve) => plainOAuth.listen(0, '127.0.0.1', resolve));
    plainOAuthUrl = `http://127.0.0.1:${(plainOAuth.address() as AddressInfo).port}`;
  });
  after(async () => {
    plainOAuth?.closeAllConnections();
    plainOAuth?.close();
    await alpha?.close();
    await server?.close();
  });

  const body = (extra: Record<string, unknown> = {}) => ({ name: 'Alpha', issuer: alpha.issuer, clientId: alpha.clientId, clientSecret: alpha.clientSecret, ...extra });

  it('registers an OIDC IdP; the secret is sealed at rest and never returned', async () => {
    const created = await api(server, tokenA, 'POST', '/identity-providers', body({ showButton: true, provisionUsers: true }));
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.protocol, 'oidc');
    assert.equal(created.body.hasClientSecret, true);
    assert.equal(created.body.redirectUri, `${server.url}/federation/callback`);
    assert.deepEqual(created.body.scopes, ['openid', 'email', 'profile']);
    assert.deepEqual(created.body.claimMapping, { subject: 'sub', email: 'email', emailVerified: 'email_verified', name: 'name' });
    assert.ok(!created.text.includes(alpha.clientSecret), 'not in the response');
    assert.ok(!('clientSecret' in created.body));

    const row = await server.gatehouse.db.knex('identity_providers').where({ id: created.body.id }).first();
    assert.match(row.client_secret_sealed, /^v1\./);
    assert.ok(!row.client_secret_sealed.includes(alpha.clientSecret));
    assert.equal(server.gatehouse.box.open(row.client_secret_sealed), alpha.clientSecret);

    for (const res of [await api(server, tokenA, 'GET', '/identity-providers'), await api(server, tokenA, 'GET', `/identity-providers/${created.body.id}`)]) {
      assert.equal(res.status, 200);
      assert.ok(!res.text.includes(alpha.clientSecret));
    }
    const audit = await server.gatehouse.db.knex('audit_events').where({ action: 'idp.create', target: created.body.id }).first();
    assert.ok(audit && !JSON.stringify(audit).includes(alpha.clientSecret));
  });

  it('replaces the secret only when one is sent; "" removes it', async () => {
    const { body: idp } = await api(server, tokenA, 'POST', '/identity-providers', body());
    const sealed = async () => (await server.gatehouse.db.knex('identity_providers').where({ id: idp.id }).first()).client_secret_sealed;
    const first = await sealed();
    const renamed = await api(server, tokenA, 'PATCH', `/identity-providers/${idp.id}`, { name: 'Renamed' });
    assert.equal(renamed.body.name, 'Renamed');
    assert.equal(await sealed(), first, 'kept');
    await api(server, tokenA, 'PATCH', `/identity-providers/${idp.id}`, { clientSecret: 'new-secret-value' });
    assert.equal(server.gatehouse.box.open(await sealed()), 'new-secret-value');
    const cleared = await api(server, tokenA, 'PATCH', `/identity-providers/${idp.id}`, { clientSecret: '' });
    assert.equal(cleared.body.hasClientSecret, false);
    assert.equal(await sealed(), null);
    const updateEvent = await server.gatehouse.db.knex('audit_events').where({ action: 'idp.update', target: idp.id }).orderBy('id', 'desc').first();
    assert.deepEqual(updateEvent.details.fields, ['clientSecret']);
  });

  it('accepts OpenID Connect only: no SAML, no plain OAuth 2.0 scopes, a stable subject claim', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ protocol: 'saml' }, 'request.invalid'],
      [{ scopes: ['email'] }, 'idp.openid_scope_required'],
      [{ issuer: 'not a url' }, 'idp.issuer_invalid'],
      [{ claimMapping: { subject: 'email' } }, 'idp.subject_claim_unstable'],
      [{ name: '' }, 'idp.name_length'],
      [{ metadataXml: '<EntityDescriptor/>' }, 'request.invalid'],
    ];
    for (const [extra, code] of cases) {
      const res = await api(server, tokenA, 'POST', '/identity-providers', body(extra));
      assert.equal(res.status, 400, JSON.stringify(extra));
      assert.equal(res.body.code, code, JSON.stringify(extra));
    }
  });

  it('"Test connection" reports a working IdP, and says what is wrong with broken ones', async () => {
    const ok = await api(server, tokenA, 'POST', '/identity-providers', body());
    const report = await api(server, tokenA, 'POST', `/identity-providers/${ok.body.id}/test`);
    assert.equal(report.status, 200);
    assert.equal(report.body.ok, true, JSON.stringify(report.body.checks));
    const byId = Object.fromEntries(report.body.checks.map((c: { id: string }) => [c.id, c]));
    assert.equal(byId.discovery.ok, true);
    assert.equal(byId.jwks.ok, true);
    assert.match(byId.jwks.message, /1 signing key/);

    const broken: [Record<string, unknown>, string, RegExp][] = [
      [{ issuer: 'http://127.0.0.1:9' }, 'discovery', /could not be reached/],
      [{ issuer: alpha.issuer.replace('127.0.0.1', 'localhost') }, 'discovery', /different issuer/],
      [{ issuer: plainOAuthUrl }, 'openid', /not an OpenID Connect provider/],
    ];
    for (const [extra, check, message] of broken) {
      const created = await api(server, tokenA, 'POST', '/identity-providers', body(extra));
      const res = await api(server, tokenA, 'POST', `/identity-providers/${created.body.id}/test`);
      assert.equal(res.body.ok, false, JSON.stringify(extra));
      const failed = res.body.checks.find((c: { id: string; ok: boolean }) => c.id === check && !c.ok);
      assert.ok(failed, `${check} fails for ${JSON.stringify(extra)}: ${JSON.stringify(res.body.checks)}`);
      assert.match(failed.message, message);
    }
  });

  it('keeps organizations apart: another organization’s IdP is not found, and not listed', async () => {
    const { body: idp } = await api(server, tokenA, 'POST', '/identity-providers', body({ name: 'Private' }));
    for (const [method, path, payload] of [['GET', `/identity-providers/${idp.id}`], ['PATCH', `/identity-providers/${idp.id}`, { name: 'x' }], ['DELETE', `/identity-providers/${idp.id}`], ['POST', `/identity-providers/${idp.id}/test`]] as const) {
      const res = await api(server, tokenB, method, path, payload);
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.equal(res.body.code, 'identity_provider.not_found');
    }
    const list = await api(server, tokenB, 'GET', '/identity-providers');
    assert.ok(!list.body.items.some((i: { id: string }) => i.id === idp.id));
  });

  it('needs idps:manage: a member is refused', async () => {
    for (const [method, path] of [['GET', '/identity-providers'], ['POST', '/identity-providers'], ['GET', '/organization/sign-in-settings']] as const) {
      const res = await api(server, memberToken, method, path, method === 'POST' ? body() : undefined);
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.equal(res.body.code, 'access.denied');
    }
  });

  it('removes an IdP (and its linked profiles with it)', async () => {
    const { body: idp } = await api(server, tokenA, 'POST', '/identity-providers', body({ name: 'Gone' }));
    const removed = await api(server, tokenA, 'DELETE', `/identity-providers/${idp.id}`);
    assert.equal(removed.status, 204);
    assert.equal((await api(server, tokenA, 'GET', `/identity-providers/${idp.id}`)).status, 404);
  });

  describe('sign-in settings', () => {
    it('domains: validated as host names, normalized, unique across Gatehouse', async () => {
      const mine = `alpha-${randomBytes(3).toString('hex')}.example`;
      const set = await api(server, tokenA, 'PATCH', '/organization/sign-in-settings', { domains: [mine.toUpperCase(), `${mine}.`] });
      assert.equal(set.status, 200, set.text);
      assert.deepEqual(set.body.domains, [mine]);
      assert.equal(set.body.ssoRequired, false);
      assert.equal(set.body.allowProfileLinking, false, 'linking is off by default');

      const invalid = await api(server, tokenA, 'PATCH', '/organization/sign-in-settings', { domains: ['not a domain'] });
      assert.equal(invalid.status, 400);
      assert.equal(invalid.body.code, 'domain.invalid');

      const taken = await api(server, tokenB, 'PATCH', '/organization/sign-in-settings', { domains: [mine] });
      assert.equal(taken.status, 409);
      assert.equal(taken.body.code, 'domain.taken');
      assert.deepEqual((await api(server, tokenA, 'GET', '/organization/sign-in-settings')).body.domains, [mine]);
    });

    it('"Allow profile linking" can be changed by an administrator, never by a connected app', async () => {
      const on = await api(server, tokenA, 'PATCH', '/organization/sign-in-settings', { allowProfileLinking: true });
      assert.equal(on.body.allowProfileLinking, true);
      const app = await api(server, tokenA, 'POST', '/connected-apps', { name: 'Provisioner', scopes: ['idps:manage'] });
      assert.equal(app.status, 201, app.text);
      const { token } = await appAccessToken(server, app.body.app.clientId, app.body.clientSecret, 'idps:manage');
      assert.equal((await api(server, token, 'GET', '/identity-providers')).status, 200, 'the app manages IdPs');
      const refused = await api(server, token, 'PATCH', '/organization/sign-in-settings', { allowProfileLinking: false });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.code, 'access.denied');
      assert.equal((await api(server, tokenA, 'GET', '/organization/sign-in-settings')).body.allowProfileLinking, true);
      const event = await server.gatehouse.db.knex('audit_events').where({ action: 'organization.sign_in_settings', organization_id: ownerA.organizationId }).orderBy('id', 'desc').first();
      assert.equal(event.details.allowProfileLinking, true);
    });

    it('the OpenAPI document describes the routes, and its IdentityProvider schema has no secret', async () => {
      const doc = (await api(server, undefined, 'GET', '/openapi.json')).body;
      for (const p of ['/identity-providers', '/identity-providers/{id}', '/identity-providers/{id}/test', '/organization/sign-in-settings']) assert.ok(doc.paths[p], p);
      assert.ok(!('clientSecret' in doc.components.schemas.IdentityProvider.properties));
      assert.ok('clientSecret' in doc.components.schemas.CreateIdentityProvider.properties);
    });
  });
});
