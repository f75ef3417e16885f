// Upstream token endpoint authentication chosen per IdP, each against a real upstream oidc-provider
// that accepts only that method; "Test connection" says what the IdP supports; and when an IdP refuses
// Gatehouse's client authentication, the person is told which side failed and the failure is audited
// in the IdP's organization with the step and the IdP's own OAuth error code, and logged.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startGatehouse, type TestServer } from '../../helpers/gatehouse-server.ts';
import { startUpstreamIdp, type UpstreamIdp } from '../../helpers/upstream-idp.ts';
import { captureLog } from '../../helpers/captured-log.ts';
import { messageCodes, openSignedIn } from '../../helpers/self-service.ts';
import { follow } from '../../helpers/browserless-user.ts';
import { FEDERATION_ENV, federatedSignIn, principalOf, registerIdp } from './federation-fixtures.ts';

const METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;

describe('federation: token endpoint authentication per identity provider', () => {
  let server: TestServer;
  const log = captureLog('info');
  const idps: UpstreamIdp[] = [];
  before(async () => {
    server = await startGatehouse(undefined, FEDERATION_ENV, { logger: log.logger });
  });
  after(async () => {
    for (const idp of idps) await idp.close();
    await server?.close();
  });

  /** A real upstream oidc-provider that announces and accepts exactly this method. */
  async function upstreamAccepting(method: (typeof METHODS)[number]) {
    const configured = await startUpstreamIdp({ redirectUri: `${server.url}/federation/callback`, name: `m${randomBytes(3).toString('hex')}`, tokenEndpointAuthMethod: method,
      // Registered at the IdP as an administrator would: the keys Gatehouse publishes at its JWKS.
      clientJwks: method === 'private_key_jwt' ? ((await (await fetch(`${server.url}/jwks`)).json()) as { keys: Record<string, unknown>[] }) : undefined });
    idps.push(configured);
    return configured;
  }

  for (const method of METHODS) {
    it(`signs in through an IdP that accepts only ${method}`, async () => {
      const upstream = await upstreamAccepting(method);
      const owner = await server.createUser();
      const idpId = await registerIdp(server, owner, upstream, { name: `IdP ${method}`, tokenEndpointAuthMethod: method, showButton: true, ...(method === 'private_key_jwt' ? { clientSecret: undefined } : {}) });
      const report = await server.gatehouse.federation.idps.test(await principalOf(server, owner), idpId);
      const authCheck = report.checks.find((c) => c.id === 'token_auth');
      assert.ok(authCheck?.ok, `Test connection: ${authCheck?.message}`);
      assert.match(authCheck!.message, new RegExp(`supports ${method}`));
      const person = upstream.addUser({ login: `p${randomBytes(3).toString('hex')}` });
      const client = await server.createClient();
      const { step } = await federatedSignIn(server, client, upstream, person, { button: idpId });
      assert.ok(step.location?.startsWith(client.redirect_uris[0]), `signed in and back at the client (${step.status} ${step.location ?? messageCodes(step.body).join(',')}; ${JSON.stringify(log.lines.filter((l) => l.msg === 'federated sign-in failed').at(-1))})`);
      assert.equal(upstream.tokenRequests, 1, 'the code was redeemed at the IdP');
    });
  }

  it('an IdP that refuses Gatehouse\'s client authentication: the person learns which side failed, its administrators see why', async () => {
    const upstream = await upstreamAccepting('private_key_jwt');
    const owner = await server.createUser();
    // Registered with a method the IdP does not accept for this client: it refuses the token request.
    const idpId = await registerIdp(server, owner, upstream, { name: 'Strict IdP', tokenEndpointAuthMethod: 'client_secret_basic', showButton: true });
    const report = await server.gatehouse.federation.idps.test(await principalOf(server, owner), idpId);
    const authCheck = report.checks.find((c) => c.id === 'token_auth');
    assert.equal(authCheck?.ok, false, 'Test connection flags the method the IdP does not support');
    assert.match(authCheck!.message, /supports private_key_jwt.*set to use client_secret_basic/);

    const person = upstream.addUser({ login: `p${randomBytes(3).toString('hex')}` });
    const client = await server.createClient();
    const { jar, step: back } = await federatedSignIn(server, client, upstream, person, { button: idpId });
    // The flow starts over on the sign-in page, with the message.
    const step = back.location?.startsWith(server.url) ? await follow(jar, back.location, server.url) : back;
    assert.equal(step.status, 200, `${back.status} ${back.location} → ${step.status} ${step.location}`);
    assert.deepEqual(messageCodes(step.body), ['federation.client_rejected']);
    assert.match(step.body, /Strict IdP refused Gatehouse’s credentials/);

    const events = await server.gatehouse.auditStore.query({ organizationId: owner.organizationId, action: 'session.sign_in', outcome: 'failure', limit: 10 });
    const event = events.find((e) => e.details?.idp === idpId);
    assert.ok(event, 'audited in the identity provider\'s organization');
    assert.equal(event.details?.step, 'token');
    assert.equal(event.details?.oauthError, 'invalid_client', 'the IdP\'s own OAuth error code, not the library\'s error name');
    assert.equal(event.details?.reason, 'federation.client_rejected');

    const line = log.lines.find((l) => l.msg === 'federated sign-in failed' && l.idp === idpId);
    assert.ok(line, 'logged for the operator');
    assert.equal(line.oauthError, 'invalid_client');
    assert.equal(line.organizationId, owner.organizationId);
    assert.ok(!log.text().includes(upstream.clientSecret), 'the client secret is never logged');

    // The organization's administrator reads a human reason in the audit log.
    const admin = await openSignedIn(server, owner, { path: '/admin/audit' });
    assert.equal(admin.step.status, 200);
    assert.match(admin.step.body, /Strict IdP refused Gatehouse’s client credentials during the token request \(invalid_client\)/);
  });
});
