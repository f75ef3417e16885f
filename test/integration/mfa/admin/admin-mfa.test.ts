// What administrators do about MFA (issue: reset a user's MFA; waive it for service accounts only).
import assert from 'node:assert/strict';
import { startGatehouse, type TestServer, type TestUser } from '../../../helpers/gatehouse-server.ts';
import { addMember, api, userAccessToken } from '../../../helpers/organization-fixtures.ts';
import { CookieJar, follow, formAction, postForm, signIn } from '../../../helpers/browserless-user.ts';
import { totpCode } from '../../../../accounts/totp.ts';
import { authorizationRequest } from '../../../helpers/authorization.ts';

describe('MFA: administrators', () => {
  let server: TestServer;
  let ownerA: TestUser;
  let ownerB: TestUser;
  let tokenA: string;
  let tokenB: string;
  let client: Awaited<ReturnType<TestServer['createClient']>>;

  before(async () => {
    server = await startGatehouse();
    ownerA = await server.createUser({ company: 'Alpha' });
    ownerB = await server.createUser({ company: 'Beta' });
    client = await server.createClient();
    [tokenA, tokenB] = await Promise.all([userAccessToken(server, ownerA, client), userAccessToken(server, ownerB, client)]);
  });
  after(() => server?.close());

  const authUrl = () => authorizationRequest(server.url, client).url;

  async function passwordStep(user: { username: string; password: string }) {
    const jar = new CookieJar();
    const page = await follow(jar, authUrl(), server.url);
    return postForm(jar, formAction(page.body, page.url), server.url, { username: user.username, password: user.password });
  }

  it('resets a user’s MFA: methods and recovery codes gone, sessions ended, enrolment at next sign-in', async () => {
    const member = await addMember(server, { organizationId: ownerA.organizationId });
    await server.gatehouse.mfa.replaceRecoveryCodes(member.id, ['digest-1']);
    const signedIn = await signIn(authUrl(), member);
    assert.ok(signedIn.step.location?.startsWith(client.redirect_uris[0]));

    const other = await api(server, tokenB, 'POST', `/users/${member.id}/mfa-reset`);
    assert.equal(other.status, 404, 'another organization’s administrator cannot even see the user');

    const reset = await api(server, tokenA, 'POST', `/users/${member.id}/mfa-reset`);
    assert.equal(reset.status, 204);
    assert.equal((await server.gatehouse.mfa.listMethods(member.id)).length, 0);
    assert.equal(await server.gatehouse.mfa.countRecoveryCodes(member.id), 0);

    const again = await follow(signedIn.jar, authUrl(), server.url);
    assert.match(again.body, /<h1>Sign in<\/h1>/, 'the session was ended');
    const next = await passwordStep(member);
    assert.match(next.body, /<h1>Set up multi-factor authentication<\/h1>/);
    const audit = await server.gatehouse.db.knex('audit_events').where({ action: 'mfa.reset', target: member.id }).first();
    assert.equal(audit?.actor, ownerA.id);
  });

  it('refuses to exempt a person’s account, and exempts a service account that then signs in with its password alone', async () => {
    const human = await addMember(server, { organizationId: ownerA.organizationId });
    const refused = await api(server, tokenA, 'POST', `/mfa-exemptions/${human.id}`);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, 'mfa_exemption.human_account');
    assert.equal(refused.body.message, 'Waiving MFA for user accounts isn’t permitted; use a connected app.');

    const robot = await addMember(server, { organizationId: ownerA.organizationId, mfa: false });
    const longPassword = 'Automation-Pass-2026-long';
    const credential = await server.gatehouse.accounts.findPasswordCredential(robot.username);
    await server.gatehouse.accounts.rehashPassword(credential!.credentialId, await server.gatehouse.hasher.hash(longPassword));
    assert.equal((await api(server, tokenA, 'PATCH', `/users/${robot.id}`, { serviceAccount: true })).status, 200);
    assert.equal((await api(server, tokenB, 'POST', `/mfa-exemptions/${robot.id}`)).status, 404, 'org isolation');
    assert.equal((await api(server, tokenA, 'POST', `/mfa-exemptions/${robot.id}`)).status, 204);
    const list = await api(server, tokenA, 'GET', '/mfa-exemptions');
    assert.deepEqual(list.body.items.map((i: { id: string }) => i.id), [robot.id]);
    assert.deepEqual((await api(server, tokenB, 'GET', '/mfa-exemptions')).body.items, []);

    const done = await passwordStep({ username: robot.username, password: longPassword });
    assert.ok(done.location?.startsWith(client.redirect_uris[0]), 'no MFA for the exempt service account');

    assert.equal((await api(server, tokenA, 'DELETE', `/mfa-exemptions/${robot.id}`)).status, 204);
    const enrol = await passwordStep({ username: robot.username, password: longPassword });
    assert.match(enrol.body, /Set up multi-factor authentication/, 'MFA again once the exemption is removed');
  });

  it('requires 15 characters of an exempt service account’s password', async () => {
    const robot = await addMember(server, { organizationId: ownerA.organizationId, mfa: false });
    await api(server, tokenA, 'PATCH', `/users/${robot.id}`, { serviceAccount: true });
    await api(server, tokenA, 'POST', `/mfa-exemptions/${robot.id}`);
    const page = await passwordStep(robot); // 'Correct-Horse-9' is 15 characters: allowed
    assert.ok(page.location?.startsWith(client.redirect_uris[0]));
    const short = await addMember(server, { organizationId: ownerA.organizationId, mfa: false });
    const credential = await server.gatehouse.accounts.findPasswordCredential(short.username);
    await server.gatehouse.accounts.rehashPassword(credential!.credentialId, await server.gatehouse.hasher.hash('Short-pass-14c'));
    await api(server, tokenA, 'PATCH', `/users/${short.id}`, { serviceAccount: true });
    await api(server, tokenA, 'POST', `/mfa-exemptions/${short.id}`);
    const refused = await passwordStep({ username: short.username, password: 'Short-pass-14c' });
    assert.match(refused.body, /data-testid="message\/password.single_factor_too_short"/);
  });

  it('manages exemptions on the Gatehouse identity provider page, without JavaScript', async () => {
    const robot = await addMember(server, { organizationId: ownerA.organizationId, mfa: false });
    await api(server, tokenA, 'PATCH', `/users/${robot.id}`, { serviceAccount: true });
    const human = await addMember(server, { organizationId: ownerA.organizationId });
    const admin = await addMember(server, { organizationId: ownerA.organizationId, role: 'admin' });
    const jar = new CookieJar();
    let page = await follow(jar, `${server.url}/admin/identity-providers/gatehouse`, server.url);
    page = await postForm(jar, formAction(page.body, page.url), server.url, { username: admin.username, password: admin.password });
    page = await postForm(jar, formAction(page.body, page.url), server.url, { code: await totpCode(admin.totpSecret!) });
    assert.match(page.body, /Gatehouse identity provider: exempt accounts/);
    const csrf = page.body.match(/name="_csrf" value="([^"]+)"/)![1];
    const refused = await postForm(jar, `${server.url}/admin/identity-providers/gatehouse/exemptions`, server.url, { _csrf: csrf, account_id: human.id });
    assert.equal(refused.status, 409);
    assert.match(refused.body, /data-testid="message\/mfa_exemption.human_account"/);
    const added = await postForm(jar, `${server.url}/admin/identity-providers/gatehouse/exemptions`, server.url, { _csrf: csrf, account_id: robot.id });
    assert.match(added.body, new RegExp(`data-testid="exemption/${robot.id}"`));
    const removed = await postForm(jar, `${server.url}/admin/identity-providers/gatehouse/exemptions/${robot.id}/remove`, server.url, { _csrf: csrf, confirm: 'yes' });
    assert.ok(!removed.body.includes(`data-testid="exemption/${robot.id}"`));
  });
});


describe('MFA: administrator reset from the Users page', () => {
  let server: TestServer;
  before(async () => {
    server = await startGatehouse();
  });
  after(() => server?.close());

  it('asks "Confirm reset MFA" first, then resets', async () => {
    const owner = await server.createUser();
    const admin = await addMember(server, { organizationId: owner.organizationId, role: 'admin' });
    const member = await addMember(server, { organizationId: owner.organizationId });
    const jar = new CookieJar();
    let page = await follow(jar, `${server.url}/admin/users/${member.id}`, server.url);
    page = await postForm(jar, formAction(page.body, page.url), server.url, { username: admin.username, password: admin.password });
    page = await postForm(jar, formAction(page.body, page.url), server.url, { code: await totpCode(admin.totpSecret!) });
    assert.match(page.body, /Reset multi-factor authentication<\/button>/);
    const csrf = page.body.match(/name="_csrf" value="([^"]+)"/)![1];
    const confirm = await postForm(jar, `${server.url}/admin/users/${member.id}`, server.url, { _csrf: csrf, action: 'mfa-reset' });
    assert.match(confirm.body, /Confirm reset MFA<\/button>/);
    assert.equal((await server.gatehouse.mfa.listMethods(member.id)).length, 1, 'nothing happens before the confirmation');
    const done = await postForm(jar, `${server.url}/admin/users/${member.id}`, server.url, { _csrf: csrf, action: 'mfa-reset', confirm: 'yes' });
    assert.match(done.body, /data-testid="message\/user.mfa_reset"/);
    assert.equal((await server.gatehouse.mfa.listMethods(member.id)).length, 0);
  });
});
