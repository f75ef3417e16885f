// "SSO required": members' valid Gatehouse passwords are refused with the reference product's advice
// (sign in through your IdP, or use your custom domain); service accounts are excepted; the IdP still
// signs them in; it can't be turned on without an enabled IdP, and the last IdP can't go while it is on.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startPasswordLogin, type RpClient } from '../../helpers/authorization.ts';
import type { TestServer, TestUser } from '../../helpers/gatehouse-server.ts';
import { addMember, PASSWORD } from '../../helpers/organization-fixtures.ts';
import type { UpstreamIdp } from '../../helpers/upstream-idp.ts';
import { federatedSignIn, principalOf, registerIdp, setSignInSettings, startFederatedGatehouse, startIdp } from './federation-fixtures.ts';

describe('federation: SSO required', () => {
  let server: TestServer;
  let alpha: UpstreamIdp;
  let client: RpClient;
  let owner: TestUser;
  let idpId: string;
  const domain = `sso-${randomBytes(3).toString('hex')}.test`;

  before(async () => {
    server = await startFederatedGatehouse();
    alpha = await startIdp(server, 'alpha');
    client = await server.createClient();
    owner = await server.createUser({ company: 'Acme' });
    idpId = await registerIdp(server, owner, alpha, { showButton: false });
    await setSignInSettings(server, owner, { domains: [domain], ssoRequired: true });
  });
  after(async () => {
    await alpha?.close();
    await server?.close();
  });

  it('refuses a member’s valid password with the reference advice, and audits it', async () => {
    const member = await addMember(server, { organizationId: owner.organizationId });
    const { step } = await startPasswordLogin(server.url, client, member);
    assert.equal(step.status, 200);
    assert.match(step.body, /data-testid="message\/session.sso_required"/);
    assert.match(step.body, /Sign in through your identity provider, or choose “Use custom domain” and enter your organization’s domain name/);
    assert.doesNotMatch(step.body, /Verification code/, 'no MFA step: the password alone was refused');
    const event = await server.gatehouse.db.knex('audit_events').where({ action: 'session.sign_in', outcome: 'failure' }).orderBy('id', 'desc').first();
    assert.equal(event.details.reason, 'session.sso_required');
  });

  it('refuses the owner and administrators too; a wrong password still gets the generic message', async () => {
    const { step } = await startPasswordLogin(server.url, client, owner);
    assert.match(step.body, /data-testid="message\/session.sso_required"/);
    const wrong = await startPasswordLogin(server.url, client, { username: owner.username, password: 'Wrong-Password-1' });
    assert.match(wrong.step.body, /data-testid="message\/session.invalid_credentials"/, 'nothing about SSO before the password is proven');
  });

  it('excepts service accounts', async () => {
    const robot = await addMember(server, { organizationId: owner.organizationId });
    await server.gatehouse.organizations.orgs.updateAccount(robot.id, { serviceAccount: true });
    const { step } = await startPasswordLogin(server.url, client, robot);
    assert.doesNotMatch(step.body, /session.sso_required/);
    assert.match(step.body, /Verification code/, 'on to its MFA');
  });

  it('leaves other organizations alone', async () => {
    const elsewhere = await server.createUser({ company: 'Elsewhere' });
    const { step } = await startPasswordLogin(server.url, client, elsewhere);
    assert.match(step.body, /Verification code/);
  });

  it('members still sign in through the IdP', async () => {
    const person = alpha.addUser({ login: `p${randomBytes(3).toString('hex')}` });
    const { step } = await federatedSignIn(server, client, alpha, person, { domain });
    assert.ok(step.location?.startsWith(client.redirect_uris[0]));
  });

  it('can’t be turned on without an enabled IdP; the last enabled IdP can’t be disabled or removed while it is on', async () => {
    const other = await server.createUser({ company: 'NoIdp' });
    await assert.rejects(setSignInSettings(server, other, { ssoRequired: true }), { code: 'sso.no_identity_provider', status: 409 });
    const p = await principalOf(server, owner);
    await assert.rejects(server.gatehouse.federation.idps.remove(p, idpId), { code: 'idp.required_for_sso' });
    await assert.rejects(server.gatehouse.federation.idps.update(p, idpId, { enabled: false }), { code: 'idp.required_for_sso' });
  });

  it('turning it off lets passwords in again', async () => {
    const other = await server.createUser({ company: 'Toggle' });
    const up = await startIdp(server, 'toggle');
    try {
      await registerIdp(server, other, up);
      await setSignInSettings(server, other, { ssoRequired: true });
      const member = await addMember(server, { organizationId: other.organizationId });
      assert.match((await startPasswordLogin(server.url, client, member)).step.body, /session.sso_required/);
      await setSignInSettings(server, other, { ssoRequired: false });
      assert.match((await startPasswordLogin(server.url, client, { username: member.username, password: PASSWORD })).step.body, /Verification code/);
    } finally {
      await up.close();
    }
  });
});
