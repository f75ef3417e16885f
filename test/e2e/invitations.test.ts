// Invitation journeys in a real browser (reference: "Join an Existing Organization", "Use an
// Existing Account", "Use an Organization Administrator Account", "Account Associated as an
// Organization Owner", known issue): invite → accept as a new user; join with an unattached account;
// an administrator of another organization joins (its business group handed over / deleted); an
// owner with members is refused, an owner without members is warned and its organization deleted;
// an expired invitation; the wrong email address.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { totpCode } from '../../accounts/totp.ts';
import { userPrincipal } from '../../accounts/access.ts';
import { describeBrowser, launchBrowser } from '../helpers/browser.ts';
import { startGatehouse, uniqueName, type TestServer, type TestUser } from '../helpers/gatehouse-server.ts';
import { addMember, addUnattached } from '../helpers/organization-fixtures.ts';
import { AdminPage } from './pages/admin-page.ts';
import { InvitationPage } from './pages/invitation-page.ts';
import { CHALLENGE_HEADING, MfaPage } from './pages/mfa-page.ts';
import { SignInPage } from './pages/sign-in-page.ts';

describeBrowser('e2e: invitations', () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  before(async () => {
    browser = await launchBrowser();
    server = await startGatehouse();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext();
    contexts.push(context);
    return context.newPage();
  }

  /** On the sign-in page: password, then the authenticator-app code. */
  async function signInAs(page: Page, user: TestUser) {
    const signIn = new SignInPage(page);
    await page.getByRole('heading', { level: 1, name: 'Sign in', exact: true }).waitFor();
    await signIn.signIn(user.username, user.password);
    const mfa = new MfaPage(page);
    await mfa.waitForHeading(CHALLENGE_HEADING);
    await mfa.enterCode(await totpCode(user.totpSecret!));
  }

  /** The newest invitation link mailed to `email` (the embedded default writes .eml files to the outbox). */
  async function invitationLinkFor(email: string): Promise<string> {
    const dir = path.join(server.dataDir, 'outbox');
    const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.eml')).sort().reverse();
    for (const file of files) {
      const mail = await simpleParser(await fs.readFile(path.join(dir, file)));
      const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
      if (to?.value[0]?.address !== email) continue;
      const link = mail.text?.match(/https?:\/\/\S+\/invitations\/[A-Za-z0-9_-]+/)?.[0];
      if (link) return link;
    }
    throw new Error(`no invitation mailed to ${email}`);
  }

  /** An invitation sent by the organization's owner through the domain service (the admin pages are exercised in the first journey). */
  async function invite(owner: TestUser, email: string, options: { role?: 'member' | 'admin'; businessGroupId?: string } = {}) {
    const { services, orgs } = server.gatehouse.organizations;
    const principal = (await userPrincipal(orgs, owner.id))!;
    await services.invitations.invite(principal, { email, ...options });
    return invitationLinkFor(email);
  }

  const rootOf = async (accountId: string) => (await server.gatehouse.organizations.orgs.membershipsOf(accountId))[0]?.rootId ?? null;

  it('invite → accept as a new user: the admin invites from /admin, the form has the company preset and the email fixed', async () => {
    const owner = await server.createUser({ company: 'Initech' });
    const email = `${uniqueName('newbie')}@example.com`;

    const adminTab = await newPage();
    await adminTab.goto(`${server.url}/admin/invitations`);
    await signInAs(adminTab, owner);
    const admin = new AdminPage(adminTab);
    await adminTab.getByRole('heading', { level: 1, name: 'Invitations', exact: true }).waitFor();
    await admin.invite(email);
    await admin.message('invitation.sent').waitFor();
    assert.equal(await admin.invitationRow(email).count(), 1, 'the pending invitation is listed');

    const link = await invitationLinkFor(email);
    const invitee = new InvitationPage(await newPage());
    await invitee.open(link);
    assert.equal(await invitee.headingText(), 'Join Initech');
    assert.equal(await invitee.email.inputValue(), email);
    assert.equal(await invitee.email.getAttribute('readonly'), '', 'the email is fixed');
    assert.equal(await invitee.company.inputValue(), 'Initech');
    assert.equal(await invitee.company.getAttribute('readonly'), '', 'the company is preset, read-only');
    assert.equal(await invitee.acceptButton('Initech').count(), 1, 'button "Accept and create account in Initech"');

    const username = uniqueName('newbie');
    await invitee.createAccount('Initech', { username, password: 'Fresh-Start-42' });
    await invitee.message('invitation.accepted_new_account').waitFor();
    assert.equal(await invitee.headingText(), 'Welcome to Initech');

    const account = await server.gatehouse.organizations.orgs.findAccountByUsername(username);
    assert.ok(account, 'the account exists');
    assert.equal(account.email, email);
    assert.equal(account.emailVerified, true, 'the invited address is verified by the link');
    assert.equal(await rootOf(account.id), owner.organizationId);

    // The link works once.
    await invitee.open(link);
    await invitee.message('invitation.accepted').waitFor();
    await adminTab.reload();
    assert.equal(await admin.invitationRow(email).count(), 0, 'no longer pending');
  });

  it('wrong email: the invitation refuses any other address, even from a tampered form', async () => {
    const owner = await server.createUser({ company: 'Globex' });
    const email = `${uniqueName('invited')}@example.com`;
    const link = await invite(owner, email);
    const invitee = new InvitationPage(await newPage());
    await invitee.open(link);
    // The field is read-only; a person who edits the page anyway is refused, not silently corrected.
    await invitee.email.evaluate((el) => el.removeAttribute('readonly'));
    await invitee.email.fill('someone-else@example.com');
    const username = uniqueName('other');
    await invitee.createAccount('Globex', { username, password: 'Fresh-Start-42' });
    await invitee.message('invitation.email_mismatch').waitFor();
    assert.equal(await server.gatehouse.organizations.orgs.findAccountByUsername(username), undefined, 'no account created');
  });

  it('known issue fixed: a taken username says "This username is taken" and offers to move it if it is yours', async () => {
    const owner = await server.createUser({ company: 'Hooli' });
    const elsewhere = await server.createUser({ company: 'Old Trial' });
    const email = `${uniqueName('mover')}@example.com`;
    const link = await invite(owner, email);
    const invitee = new InvitationPage(await newPage());
    await invitee.open(link);
    await invitee.createAccount('Hooli', { username: elsewhere.username, password: 'Fresh-Start-42' });
    await invitee.message('username.taken').waitFor();
    assert.equal((await invitee.message('username.taken').textContent())?.trim(), 'This username is taken.');
    assert.deepEqual((await invitee.messageCodes()).filter((c) => c.startsWith('session.')), [], 'never "invalid credentials"');
    await invitee.page.getByTestId('link/move-username').click();
    await signInAs(invitee.page, elsewhere);
    // Its organization has no other members: the owner is warned that it will be deleted.
    await invitee.page.getByTestId('warning/organization-deleted').waitFor();
    assert.equal(await invitee.page.getByTestId('join/email-changes').count(), 1, 'the email becomes the invited address');
    await invitee.confirm.check();
    await invitee.joinButton('Hooli').click();
    await invitee.message('invitation.accepted_existing_account').waitFor();
    assert.equal(await rootOf(elsewhere.id), owner.organizationId, 'the username moved into Hooli');
    assert.equal(await server.gatehouse.organizations.orgs.findNode(elsewhere.organizationId), undefined, 'the old trial organization is gone');
  });

  it('invite → join with an unattached account: no "!" and no further step', async () => {
    const owner = await server.createUser({ company: 'Umbrella' });
    const email = `${uniqueName('free')}@example.com`;
    const loner = await addUnattached(server, { email });
    const link = await invite(owner, email);
    const invitee = new InvitationPage(await newPage());
    await invitee.open(link);
    await invitee.candidate(loner.username).waitFor();
    assert.equal(await invitee.isFlagged(loner.username), false);
    assert.equal(await invitee.createNewAccount.count(), 1, 'creating a new account is offered too');
    await invitee.chooseAccount(loner.username);
    await signInAs(invitee.page, loner);
    await invitee.joinButton('Umbrella').waitFor();
    assert.equal(await invitee.confirm.count(), 0, 'no confirmation needed');
    await invitee.joinButton('Umbrella').click();
    await invitee.message('invitation.accepted_existing_account').waitFor();
    assert.equal(await rootOf(loner.id), owner.organizationId);
  });

  it('invite → an administrator of another organization joins: "!", confirmation, the group goes to the parent admin or is deleted', async () => {
    const target = await server.createUser({ company: 'Wayne Enterprises' });
    const oldOwner = await server.createUser({ company: 'Stark Industries' });
    const { services, orgs } = server.gatehouse.organizations;
    const oldPrincipal = (await userPrincipal(orgs, oldOwner.id))!;
    const busy = await services.organizations.createGroup(oldPrincipal, { name: 'Busy Group' });
    const empty = await services.organizations.createGroup(oldPrincipal, { name: 'Empty Group' });
    const email = `${uniqueName('admin')}@example.com`;
    const groupAdmin = await addMember(server, { organizationId: oldOwner.organizationId, groupId: busy.id, role: 'admin', email });
    await orgs.addMembership({ accountId: groupAdmin.id, organizationId: empty.id, role: 'admin' });
    const colleague = await addMember(server, { organizationId: oldOwner.organizationId, groupId: busy.id });

    const link = await invite(target, email);
    const invitee = new InvitationPage(await newPage());
    await invitee.open(link);
    await invitee.candidate(groupAdmin.username).waitFor();
    assert.equal(await invitee.isFlagged(groupAdmin.username), true, 'the "!" mark');
    await invitee.chooseAccount(groupAdmin.username);
    await signInAs(invitee.page, groupAdmin);

    await invitee.page.getByTestId('warning/admin').waitFor();
    assert.match((await invitee.page.getByTestId('warning/admin').textContent()) ?? '', /all references from this account to Stark Industries are lost/);
    assert.match((await invitee.page.getByTestId('group-fate/handover').textContent()) ?? '', new RegExp(`Busy Group[\\s\\S]*${oldOwner.username} becomes its administrator`));
    assert.match((await invitee.page.getByTestId('group-fate/delete').textContent()) ?? '', /Empty Group[\s\S]*will be deleted/);

    // Without the confirmation the server refuses (the checkbox is also `required` in the browser).
    await invitee.confirm.evaluate((el) => el.removeAttribute('required'));
    await invitee.joinButton('Wayne Enterprises').click();
    await invitee.message('invitation.confirmation_required').waitFor();

    await invitee.confirm.check();
    await invitee.joinButton('Wayne Enterprises').click();
    await invitee.message('invitation.accepted_existing_account').waitFor();

    assert.equal(await rootOf(groupAdmin.id), target.organizationId);
    const busyAdmins = (await orgs.membershipsIn(oldOwner.organizationId)).filter((m) => m.organizationId === busy.id && m.role === 'admin');
    assert.deepEqual(busyAdmins.map((m) => m.accountId), [oldOwner.id], 'the parent organization’s administrator took the group over');
    assert.ok((await orgs.membershipsOf(colleague.id)).some((m) => m.organizationId === busy.id), 'the other member stays');
    assert.equal(await orgs.findNode(empty.id), undefined, 'the group without other members was deleted');
  });

  it('an owner whose organization has members is refused and pointed to "Transfer ownership"', async () => {
    const target = await server.createUser({ company: 'Cyberdyne' });
    const email = `${uniqueName('owner')}@example.com`;
    const owner = await server.createUser({ company: 'Tyrell', email });
    await addMember(server, { organizationId: owner.organizationId });
    const link = await invite(target, email);
    const invitee = new InvitationPage(await newPage());
    await invitee.open(link);
    assert.equal(await invitee.isFlagged(owner.username), true);
    await invitee.chooseAccount(owner.username);
    await signInAs(invitee.page, owner);
    await invitee.message('invitation.owner_has_members_notice').waitFor();
    assert.equal(await invitee.joinButton('Cyberdyne').count(), 0, 'no way to join');
    assert.equal(await invitee.page.getByTestId('link/transfer-ownership').getAttribute('href'), '/admin/organization');
    assert.equal(await rootOf(owner.id), owner.organizationId, 'still in Tyrell');
  });

  it('an owner without other members is warned and its organization is deleted', async () => {
    const target = await server.createUser({ company: 'Soylent' });
    const email = `${uniqueName('solo')}@example.com`;
    const owner = await server.createUser({ company: 'Solo Trial', email });
    const link = await invite(target, email);
    const invitee = new InvitationPage(await newPage());
    await invitee.open(link);
    await invitee.chooseAccount(owner.username);
    await signInAs(invitee.page, owner);
    await invitee.page.getByTestId('warning/organization-deleted').waitFor();
    assert.match((await invitee.page.getByTestId('warning/organization-deleted').textContent()) ?? '', /Solo Trial has no other members: it will be deleted/);
    await invitee.confirm.check();
    await invitee.joinButton('Soylent').click();
    await invitee.message('invitation.accepted_existing_account').waitFor();
    assert.equal(await rootOf(owner.id), target.organizationId);
    assert.equal(await server.gatehouse.organizations.orgs.findNode(owner.organizationId), undefined, 'Solo Trial was deleted');
  });

  it('an expired invitation says so', async () => {
    const owner = await server.createUser({ company: 'Oscorp' });
    const email = `${uniqueName('late')}@example.com`;
    const link = await invite(owner, email);
    await server.gatehouse.db.knex('invitations').where({ email }).update({ expires_at: new Date(Date.now() - 1000) });
    const invitee = new InvitationPage(await newPage());
    const response = await invitee.open(link);
    assert.equal(response.status(), 410);
    assert.equal(await invitee.headingText(), 'This invitation has expired');
    await invitee.message('invitation.expired').waitFor();
    assert.equal(await invitee.acceptButton('Oscorp').count(), 0, 'no form');
  });
});
