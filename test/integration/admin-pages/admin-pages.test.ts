// The /admin pages without JavaScript (a cookie jar and plain form posts): sign-in through the
// provider, every section renders, forms need the session's CSRF token, members are refused, and
// the pages apply the same rules as the API (same services).
import assert from 'node:assert/strict';
import { startGatehouse, type TestServer, type TestUser } from '../../helpers/gatehouse-server.ts';
import { CookieJar, follow, postForm, request, signIn } from '../../helpers/browserless-user.ts';
import { addMember } from '../../helpers/organization-fixtures.ts';

const csrfOf = (html: string) => html.match(/name="_csrf" value="([^"]+)"/)?.[1] ?? '';

describe('admin pages', () => {
  let server: TestServer;
  let owner: TestUser;
  let jar: CookieJar;

  before(async () => {
    server = await startGatehouse();
    owner = await server.createUser({ company: 'Pages Inc' });
    const { jar: signedIn, step } = await signIn(`${server.url}/admin/users`, owner);
    jar = signedIn;
    assert.equal(step.status, 200, step.body.slice(0, 300));
    assert.match(step.body, /<h1>Users<\/h1>/);
  });
  after(() => server?.close());

  it('renders every section for the owner, including the Identity Providers page the federation feature fills', async () => {
    for (const [path, heading] of [
      ['/admin/users', 'Users'],
      ['/admin/groups', 'Business Groups'],
      ['/admin/invitations', 'Invitations'],
      ['/admin/applications', 'Applications'],
      ['/admin/audit', 'Audit Log'],
      ['/admin/identity-providers', 'Identity Providers'],
      ['/admin/organization', 'Organization'],
    ]) {
      const page = await request(jar, `${server.url}${path}`);
      assert.equal(page.status, 200, path);
      assert.ok(page.body.includes(`<h1>${heading}</h1>`), path);
      assert.doesNotMatch(page.body, /<script/, `${path} works without JavaScript`);
    }
  });

  it('refuses a form without this session’s CSRF token, and accepts it with the token', async () => {
    const page = await request(jar, `${server.url}/admin/groups`);
    const forged = await postForm(jar, `${server.url}/admin/groups`, server.url, { action: 'create', name: 'Forged', _csrf: 'x'.repeat(43) });
    assert.equal(forged.status, 403);
    assert.match(forged.body, /csrf\.invalid/);
    const created = await postForm(jar, `${server.url}/admin/groups`, server.url, { action: 'create', name: 'Real Group', _csrf: csrfOf(page.body) });
    assert.equal(created.status, 200);
    assert.match(created.body, /data-testid="message\/group.created"/);
    assert.match(created.body, /Real Group/);
  });

  it('shows a rule violation on the page with its code (same service as the API)', async () => {
    const page = await request(jar, `${server.url}/admin/groups`);
    const res = await postForm(jar, `${server.url}/admin/groups`, server.url, { action: 'create', name: '   ', _csrf: csrfOf(page.body) });
    assert.equal(res.status, 400);
    assert.match(res.body, /data-testid="message\/group.name_required"/);
  });

  it('creates a service application (a connected app) and shows its secret once; exports the audit log as JSON Lines', async () => {
    const page = await request(jar, `${server.url}/admin/applications`);
    const res = await request(jar, `${server.url}/admin/applications`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrfOf(page.body), kind: 'service', name: 'Nightly export', 'permission:audit:read': 'on' }).toString(),
    });
    assert.equal(res.status, 201, res.body.slice(0, 2000));
    const secret = res.body.match(/data-testid="application\/client-secret">([^<]+)</)?.[1];
    assert.ok(secret && secret.length > 40);
    const again = await request(jar, `${server.url}/admin/applications`);
    assert.ok(!again.body.includes(secret), 'never shown again');
    assert.match(again.body, /Nightly export/);
    assert.equal((await request(jar, `${server.url}/admin/apps`)).location, `${server.url}/admin/applications`, 'the old address leads to Applications');
    const exported = await request(jar, `${server.url}/admin/audit/export?action=application.`);
    assert.equal(exported.status, 200);
    const lines = exported.body.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines[0].action, 'application.create');
  });

  it('refuses a member (no administrator permission)', async () => {
    const member = await addMember(server, { organizationId: owner.organizationId });
    const { step } = await signIn(`${server.url}/admin/users`, member);
    assert.equal(step.status, 403);
    assert.match(step.body, /access\.denied/);
  });

  it('a business-group administrator sees and manages only their group', async () => {
    const page = await request(jar, `${server.url}/admin/groups`);
    await postForm(jar, `${server.url}/admin/groups`, server.url, { action: 'create', name: 'Branch', _csrf: csrfOf(page.body) });
    const { orgs } = server.gatehouse.organizations;
    const branch = (await orgs.listTree(owner.organizationId)).find((n) => n.name === 'Branch')!;
    const branchAdmin = await addMember(server, { organizationId: owner.organizationId, groupId: branch.id, role: 'admin' });
    const inBranch = await addMember(server, { organizationId: owner.organizationId, groupId: branch.id });
    const outside = await addMember(server, { organizationId: owner.organizationId });
    const { jar: adminJar, step } = await signIn(`${server.url}/admin/users`, branchAdmin);
    assert.equal(step.status, 200);
    assert.ok(step.body.includes(inBranch.username));
    assert.ok(!step.body.includes(outside.username), 'users outside the group are out of reach');
    assert.ok(!step.body.includes('data-testid="nav/audit"'), 'no organization-wide sections');
    const other = await follow(adminJar, `${server.url}/admin/users/${outside.id}`, server.url);
    assert.equal(other.status, 404);
  });
});

describe('profile: recent sign-ins', () => {
  let server: TestServer;
  before(async () => {
    server = await startGatehouse();
  });
  after(() => server?.close());

  it('lists the person’s own sign-ins, failed attempts included, and nobody else’s', async () => {
    const user = await server.createUser({ company: 'Watchful' });
    const other = await server.createUser({ company: 'Elsewhere' });
    await server.gatehouse.audit.record({ action: 'session.sign_in', target: user.id, outcome: 'failure', ip: '203.0.113.9', userAgent: 'curl/8', details: { method: 'password' } });
    await server.gatehouse.audit.record({ actor: other.id, action: 'session.sign_in', target: other.id, outcome: 'success', ip: '198.51.100.1' });
    const { step } = await signIn(`${server.url}/account/sign-ins`, user);
    assert.equal(step.status, 200, step.body.slice(0, 200));
    assert.match(step.body, /<h1>Recent sign-ins<\/h1>/);
    assert.match(step.body, /data-testid="sign-in\/success"/);
    assert.match(step.body, /data-testid="sign-in\/failure"[\s\S]*203\.0\.113\.9/);
    assert.ok(!step.body.includes('198.51.100.1'));
  });
});
