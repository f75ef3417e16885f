// Destructive actions confirm: their forms hold a required "I'm sure" box (so a browser without
// JavaScript still asks), and the server refuses the action without it, changing nothing.
// Business Groups shows nesting with dashes (it showed "NaNEngineering").
import assert from 'node:assert/strict';
import { startGatehouse, type TestServer } from '../../helpers/gatehouse-server.ts';
import { follow, postForm } from '../../helpers/browserless-user.ts';
import { createTestClock, openSignedIn } from '../../helpers/self-service.ts';
import { userPrincipal } from '../../../accounts/access.ts';

const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1];

describe('pages: destructive actions and Business Groups', () => {
  const clock = createTestClock();
  let server: TestServer;
  before(async () => {
    server = await startGatehouse(undefined, {}, { clock: clock.now });
  });
  after(() => server?.close());

  it('deleting a group needs "I’m sure"; without it nothing is deleted; the page shows nesting without NaN', async () => {
    const owner = await server.createUser({ company: 'Nesting Co' });
    const { services, orgs } = server.gatehouse.organizations;
    const principal = (await userPrincipal(orgs, owner.id))!;
    const engineering = await services.organizations.createGroup(principal, { name: 'Engineering' });
    await services.organizations.createGroup(principal, { name: 'Platform', parentId: engineering.id });

    const { jar } = await openSignedIn(server, owner, { clock });
    const page = await follow(jar, `${server.url}/admin/groups`, server.url);
    assert.doesNotMatch(page.body, /NaN/);
    assert.match(page.body, /<td data-label="Business group">Engineering<\/td>/);
    assert.match(page.body, /<td data-label="Business group">— Platform<\/td>/);
    // The delete form: a red button behind a required checkbox.
    assert.match(page.body, /<input type="checkbox" name="confirm" value="yes" required> I’m sure<\/label><button type="submit" class="danger">/);

    const unconfirmed = await postForm(jar, `${server.url}/admin/groups`, server.url, { _csrf: csrfOf(page.body), action: 'delete', id: engineering.id });
    assert.equal(unconfirmed.status, 400);
    assert.match(unconfirmed.body, /data-testid="error\/confirm.required"/);
    assert.ok(await orgs.findNode(engineering.id), 'not deleted');

    const confirmed = await postForm(jar, `${server.url}/admin/groups`, server.url, { _csrf: csrfOf(page.body), action: 'delete', id: engineering.id, confirm: 'yes' });
    assert.equal(confirmed.status, 200);
    assert.match(confirmed.body, /data-testid="message\/group.deleted"/);
    assert.equal(await orgs.findNode(engineering.id), undefined, 'deleted once confirmed');
  });
});
