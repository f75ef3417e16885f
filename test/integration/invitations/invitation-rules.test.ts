// Invitation rules below the pages: nobody gets into an existing organization without one, a link
// works once, resending replaces the link, revoked and expired links say why.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { userPrincipal } from '../../../accounts/access.ts';
import { DomainError } from '../../../accounts/errors.ts';
import { startGatehouse, uniqueName, type TestServer, type TestUser } from '../../helpers/gatehouse-server.ts';
import { api, userAccessToken } from '../../helpers/organization-fixtures.ts';

describe('invitation rules', () => {
  let server: TestServer;
  let owner: TestUser;

  before(async () => {
    server = await startGatehouse();
    owner = await server.createUser({ company: 'Existing Org' });
  });
  after(() => server?.close());

  const services = () => server.gatehouse.organizations.services;
  const principal = async () => (await userPrincipal(server.gatehouse.organizations.orgs, owner.id))!;

  async function tokenMailedTo(email: string) {
    const dir = path.join(server.dataDir, 'outbox');
    for (const file of (await fs.readdir(dir)).sort().reverse()) {
      const mail = await simpleParser(await fs.readFile(path.join(dir, file)));
      const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
      const token = mail.text?.match(/\/invitations\/([A-Za-z0-9_-]+)/)?.[1];
      if (to?.value[0]?.address === email && token) return token;
    }
    throw new Error(`nothing mailed to ${email}`);
  }

  const rejects = (promise: Promise<unknown>, code: string) =>
    assert.rejects(promise, (err: unknown) => err instanceof DomainError && err.code === code);

  it('nobody creates an account in an existing organization without an invitation', async () => {
    // Sign-up with the same company name founds a new, separate organization.
    const lookalike = await server.createUser({ company: 'Existing Org' });
    assert.notEqual(lookalike.organizationId, owner.organizationId);
    // The API has no way to add an account to an organization: only invitations.
    const token = await userAccessToken(server, owner);
    const res = await api(server, token, 'POST', '/users', { username: 'sneaky', email: 'sneaky@example.com' });
    assert.ok([404, 405].includes(res.status), String(res.status));
    const doc = await api(server, undefined, 'GET', '/openapi.json');
    assert.equal(doc.body.paths['/users'].post, undefined);
  });

  it('a link works once', async () => {
    const email = `${uniqueName('once')}@example.com`;
    await services().invitations.invite(await principal(), { email });
    const token = await tokenMailedTo(email);
    const input = { email, password: 'Fresh-Start-42', phoneNumber: '+1 415 555 0100' };
    await services().invitations.acceptWithNewAccount(token, { ...input, username: uniqueName('first') });
    await rejects(services().invitations.acceptWithNewAccount(token, { ...input, username: uniqueName('second') }), 'invitation.accepted');
  });

  it('resending replaces the link; revoking ends it', async () => {
    const email = `${uniqueName('resend')}@example.com`;
    const invitation = await services().invitations.invite(await principal(), { email });
    const first = await tokenMailedTo(email);
    await new Promise((r) => setTimeout(r, 5)); // a later outbox file name
    await services().invitations.resend(await principal(), invitation.id);
    const second = await tokenMailedTo(email);
    assert.notEqual(first, second);
    await rejects(services().invitations.usable(first), 'invitation.invalid');
    assert.equal((await services().invitations.usable(second)).status, 'pending');
    await services().invitations.revoke(await principal(), invitation.id);
    await rejects(services().invitations.usable(second), 'invitation.revoked');
  });

  it('a new account must use the sign-up rules and the invited address', async () => {
    const email = `${uniqueName('rules')}@example.com`;
    await services().invitations.invite(await principal(), { email });
    const token = await tokenMailedTo(email);
    await assert.rejects(
      services().invitations.acceptWithNewAccount(token, { email, username: 'x', password: 'short', phoneNumber: '+1 415 555 0100' }),
      (err: unknown) => err instanceof DomainError && 'violations' in err && (err as { violations: { code: string }[] }).violations.some((v) => v.code === 'username.too_short'),
    );
    await assert.rejects(
      services().invitations.acceptWithNewAccount(token, { email: 'other@example.com', username: uniqueName('u'), password: 'Fresh-Start-42', phoneNumber: '+1 415 555 0100' }),
      (err: unknown) => err instanceof DomainError && err.code === 'invitation.email_mismatch',
    );
  });
});
