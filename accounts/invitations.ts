// Invitations (reference: "Join an Existing Organization", "Use an Existing Account" and the known
// issue): an administrator invites an address; the link is valid a week; the invitee creates an account
// in the organization with that address, or brings an existing account under the reference rules.
// This is the only way into an existing organization.
import { createHash, randomBytes } from 'node:crypto';
import type { AuditLog, AuditAction } from './audit.ts';
import { AccessDenied, assertCan, notFound, reaches, type Principal } from './access.ts';
import { emailViolations, normalizeEmail } from './account-rules.ts';
import { toE164 } from './phone-number.ts';
import { signUpViolations } from './sign-up.ts';
import { DomainError, ValidationError, assertThat, violation } from './errors.ts';
import { INVITATION_ROLES, invitationStatus, type Invitation, type InvitationRole, type InvitationStatus, type InvitationStore } from './invitation.ts';
import type { EmailMessages } from './email-messages.ts';
import type { Mailer } from './mailer.ts';
import { assessStanding, needsConfirmation, type Standing } from './membership-rules.ts';
import type { OrganizationStore, OrgNode } from './organization.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { INVITATION_TOKEN_BYTES, INVITATION_TTL_SECONDS } from './security-constants.ts';

export const hashInvitationToken = (token: string) => createHash('sha256').update(token).digest('hex');

type RequestInfo = { ip?: string; userAgent?: string };

/** An invitation as the person holding the link sees it. */
export type OpenedInvitation = {
  invitation: Invitation;
  status: InvitationStatus;
  organization: OrgNode;
  group: OrgNode;
};

/** An existing account the invitee may bring; `flagged` is the reference's "!" (it is in another organization). */
export type Candidate = { accountId: string; username: string; flagged: boolean; standing: Standing['kind'] };

/** What joining with an existing account does, for the confirmation page. */
export type JoinPreview = {
  account: { id: string; username: string; email: string };
  standing: Standing;
  /** Name of the organization the account leaves, if any. */
  leaving: string | null;
  /** Names of the new administrators of handed-over groups. */
  adminNames: Record<string, string>;
  emailChanges: boolean;
};

export function createInvitationService(deps: {
  orgs: OrganizationStore;
  invitations: InvitationStore;
  mailer: Mailer;
  messages: Pick<EmailMessages, 'invitation'>;
  hasher: PasswordHasher;
  audit: AuditLog;
  issuer: string;
  clock?: () => Date;
}) {
  const { orgs, invitations, mailer, hasher, audit } = deps;
  const now = () => (deps.clock ?? (() => new Date()))();

  const recordAs = (p: Principal, action: AuditAction, target: string | null, details?: Record<string, unknown>) =>
    audit.record({ actor: p.id, action, target, organizationId: p.organizationId, outcome: 'success', ip: p.ip, userAgent: p.userAgent, details });

  function newToken() {
    const token = randomBytes(INVITATION_TOKEN_BYTES).toString('base64url');
    return { token, tokenHash: hashInvitationToken(token) };
  }

  /** Written in the language of whoever sends it (the inviter's, remembered on their account; else their request's). */
  async function sendMail(p: Principal, invitation: Invitation, token: string) {
    const organization = await orgs.findNode(invitation.organizationId);
    const group = await orgs.findNode(invitation.businessGroupId);
    const inviter = p.kind === 'user' ? await orgs.findAccount(p.id) : undefined;
    await mailer.send({
      to: invitation.email,
      ...deps.messages.invitation({
        language: inviter?.language,
        organization: organization?.name ?? null,
        group: group && group.id !== organization?.id ? group.name : null,
        role: invitation.role,
        link: `${deps.issuer}/invitations/${token}`,
        until: invitation.expiresAt,
        email: invitation.email,
      }),
    });
  }

  async function invitationOf(p: Principal, id: string): Promise<Invitation> {
    assertCan(p, 'invitations:manage');
    const invitation = await invitations.find(id);
    if (!invitation || invitation.organizationId !== p.organizationId) throw notFound('invitation');
    if (!reaches(p, invitation.businessGroupId)) throw notFound('invitation');
    return invitation;
  }

  /** The invitation behind a link, whatever its state (the pages say why it cannot be used). */
  async function open(token: string): Promise<OpenedInvitation | undefined> {
    if (typeof token !== 'string' || token.length < 20 || token.length > 100) return undefined;
    const invitation = await invitations.findByTokenHash(hashInvitationToken(token));
    if (!invitation) return undefined;
    const organization = await orgs.findNode(invitation.organizationId);
    const group = await orgs.findNode(invitation.businessGroupId);
    if (!organization || !group) return undefined;
    return { invitation, status: invitationStatus(invitation, now()), organization, group };
  }

  /** A usable invitation, or the reason it is not (stable codes the pages show). */
  async function usable(token: string): Promise<OpenedInvitation> {
    const opened = await open(token);
    if (!opened) throw new DomainError('invitation.invalid', { status: 404 });
    if (opened.status !== 'pending') throw new DomainError(`invitation.${opened.status}`, { status: 410 });
    return opened;
  }

  async function standingOf(accountId: string): Promise<{ standing: Standing; rootId: string | null }> {
    const memberships = await orgs.membershipsOf(accountId);
    if (memberships.length === 0) return { standing: { kind: 'unattached' }, rootId: null };
    const rootId = memberships[0].rootId;
    const standing = assessStanding({ accountId, tree: await orgs.listTree(rootId), memberships: await orgs.membershipsIn(rootId) });
    return { standing, rootId };
  }

  return {
    open,
    usable,

    async invite(p: Principal, input: { email: string; role?: InvitationRole; businessGroupId?: string | null }) {
      assertCan(p, 'invitations:manage');
      const violations = emailViolations(input.email.trim());
      if (violations.length) throw new ValidationError(violations);
      const role = input.role ?? 'member';
      assertThat(INVITATION_ROLES.includes(role), new ValidationError([violation('role', 'invitation.role_invalid')]));
      const group = await orgs.findNode(input.businessGroupId ?? p.organizationId);
      if (!group || group.rootId !== p.organizationId) throw notFound('business_group');
      if (!reaches(p, group.id)) throw new AccessDenied('access.reason.invite_scope');
      const email = normalizeEmail(input.email);
      const pending = await invitations.list(p.organizationId, { pendingOnly: true, limit: 1000 });
      assertThat(
        !pending.some((i) => i.email === email && i.businessGroupId === group.id),
        new DomainError('invitation.already_pending', { status: 409, field: 'email' }),
      );
      const { token, tokenHash } = newToken();
      const sentAt = now();
      const invitation = await invitations.create({
        tokenHash,
        organizationId: p.organizationId,
        businessGroupId: group.id,
        email,
        role,
        invitedBy: p.id,
        sentAt,
        expiresAt: new Date(sentAt.getTime() + INVITATION_TTL_SECONDS * 1000),
      });
      try {
        await sendMail(p, invitation, token);
      } catch (err) {
        // No invitation without its email: the administrator sees the failure and can try again.
        await invitations.remove(invitation.id);
        throw err;
      }
      await recordAs(p, 'invitation.create', invitation.id, { email, role, businessGroupId: group.id });
      return invitation;
    },

    async list(p: Principal, query: { pendingOnly: boolean; before?: string; limit: number }) {
      assertCan(p, 'invitations:manage');
      const withinNodes = p.groupScope === null ? undefined : [...p.groupScope];
      const items = await invitations.list(p.organizationId, { ...query, withinNodes });
      return items.map((i) => ({ ...i, status: invitationStatus(i, now()) }));
    },

    async get(p: Principal, id: string) {
      const invitation = await invitationOf(p, id);
      return { ...invitation, status: invitationStatus(invitation, now()) };
    },

    /** Sends a new link valid for another week; the previous link stops working. */
    async resend(p: Principal, id: string) {
      const invitation = await invitationOf(p, id);
      const status = invitationStatus(invitation, now());
      assertThat(
        status === 'pending' || status === 'expired',
        new DomainError('invitation.not_pending', { status: 409 }),
      );
      const { token, tokenHash } = newToken();
      const sentAt = now();
      const renewed = { ...invitation, sentAt, expiresAt: new Date(sentAt.getTime() + INVITATION_TTL_SECONDS * 1000) };
      await invitations.renew(id, { tokenHash, sentAt, expiresAt: renewed.expiresAt });
      await sendMail(p, renewed, token);
      await recordAs(p, 'invitation.resend', id, { email: invitation.email });
      return { ...renewed, status: 'pending' as const };
    },

    async revoke(p: Principal, id: string) {
      const invitation = await invitationOf(p, id);
      assertThat(
        !invitation.acceptedAt,
        new DomainError('invitation.not_pending', { status: 409 }),
      );
      await invitations.revoke(id);
      await recordAs(p, 'invitation.revoke', id, { email: invitation.email });
    },

    /** Existing accounts that use the invited address, with the "!" mark for those in another organization. */
    async candidates(token: string): Promise<Candidate[]> {
      const { invitation } = await usable(token);
      const accounts = await orgs.findAccountsByEmail(invitation.email);
      const out: Candidate[] = [];
      for (const account of accounts) {
        const { standing, rootId } = await standingOf(account.id);
        if (rootId === invitation.organizationId) continue; // already in this organization
        out.push({ accountId: account.id, username: account.username, flagged: needsConfirmation(standing), standing: standing.kind });
      }
      return out;
    },

    /**
     * "Accept and create account in <org>": a new account with the invited address (verified: the
     * person opened the link sent to it), placed where the invitation says.
     */
    async acceptWithNewAccount(
      token: string,
      input: { email: string; username: string; password: string; name?: string | null; phoneNumber?: string | null; language?: string | null },
      request: RequestInfo = {},
    ) {
      const { invitation, organization } = await usable(token);
      if (normalizeEmail(input.email) !== invitation.email) {
        throw new ValidationError([violation('email', 'invitation.email_mismatch', { email: invitation.email })]);
      }
      // The sign-up rules, with the company preset to the organization.
      const violations = signUpViolations({
        email: invitation.email,
        username: input.username.trim(),
        password: input.password,
        company: organization.name,
        name: input.name ?? null,
        phoneNumber: input.phoneNumber ?? undefined,
      });
      if (violations.length) throw new ValidationError(violations);
      const phoneNumber = input.phoneNumber ? (toE164(input.phoneNumber) ?? null) : null;
      const passwordHash = await hasher.hash(input.password);
      const account = await orgs.transaction(async (tx) => {
        await tx.lockOrganization(invitation.organizationId);
        const created = await tx.createAccount({
          account: { username: input.username.trim(), email: invitation.email, name: input.name ?? null, phoneNumber, language: input.language },
          passwordHash,
        });
        // Claimed in the same transaction: a second use of the link rolls its account back.
        assertThat(await tx.claimInvitation(invitation.id, created.id), () =>
          new DomainError('invitation.accepted', { status: 410 }));
        await tx.updateAccount(created.id, { emailVerified: true });
        await tx.addMembership({ accountId: created.id, organizationId: invitation.businessGroupId, role: invitation.role });
        return created;
      });
      const base = { organizationId: invitation.organizationId, ip: request.ip, userAgent: request.userAgent, outcome: 'success' as const };
      await audit.record({ ...base, actor: account.id, action: 'account.create', target: account.id, details: { invitation: invitation.id } });
      await audit.record({ ...base, actor: account.id, action: 'invitation.accept', target: invitation.id, details: { role: invitation.role, businessGroupId: invitation.businessGroupId } });
      return { account, organization };
    },

    /** What joining with this (signed-in) account would do, for the confirmation page. */
    async previewJoin(token: string, accountId: string): Promise<JoinPreview> {
      const { invitation } = await usable(token);
      const account = await orgs.findAccount(accountId);
      if (!account) throw notFound('account');
      const { standing, rootId } = await standingOf(accountId);
      assertThat(
        rootId !== invitation.organizationId,
        new DomainError('invitation.already_member', { status: 409 }),
      );
      const leaving = rootId ? ((await orgs.findNode(rootId))?.name ?? null) : null;
      const adminNames: Record<string, string> = {};
      if (standing.kind === 'admin') {
        for (const id of new Set(standing.groups.flatMap((g) => g.newAdminIds))) {
          adminNames[id] = (await orgs.findAccount(id))?.username ?? id;
        }
      }
      return {
        account: { id: account.id, username: account.username, email: account.email },
        standing,
        leaving,
        adminNames,
        emailChanges: account.email !== invitation.email,
      };
    },

    /**
     * Brings an existing, signed-in account into the organization under the reference rules. Accounts
     * in another organization need `confirmed` (they lose every reference to it); an owner whose
     * organization has other members is refused until ownership is transferred.
     */
    async joinWithExistingAccount(token: string, accountId: string, options: { confirmed: boolean }, request: RequestInfo = {}) {
      const { invitation } = await usable(token);
      const outcome = await orgs.transaction(async (tx) => {
        await tx.lockAccount(accountId);
        const account = await tx.findAccount(accountId);
        if (!account) throw notFound('account');
        const memberships = await tx.membershipsOf(accountId);
        const oldRootId = memberships[0]?.rootId ?? null;
        assertThat(
          oldRootId !== invitation.organizationId,
          new DomainError('invitation.already_member', { status: 409 }),
        );
        let standing: Standing = { kind: 'unattached' };
        let oldName: string | null = null;
        if (oldRootId) {
          await tx.lockOrganization(oldRootId);
          oldName = (await tx.findNode(oldRootId))?.name ?? null;
          standing = assessStanding({ accountId, tree: await tx.listTree(oldRootId), memberships: await tx.membershipsIn(oldRootId) });
        }
        if (standing.kind === 'owner_with_members') {
          throw new DomainError('invitation.owner_has_members', { status: 409, vars: { organization: oldName ?? '—' } });
        }
        if (needsConfirmation(standing) && !options.confirmed) {
          throw new DomainError('invitation.confirmation_required', { status: 409 });
        }
        await tx.lockOrganization(invitation.organizationId);
        assertThat(await tx.claimInvitation(invitation.id, accountId), () =>
          new DomainError('invitation.accepted', { status: 410 }));
        const changes: { kind: AuditAction; target: string; details?: Record<string, unknown> }[] = [];
        if (standing.kind === 'owner_alone') {
          await tx.deleteNode(standing.rootId);
          changes.push({ kind: 'organization.delete', target: standing.rootId, details: { reason: 'owner joined another organization' } });
        } else if (standing.kind === 'admin') {
          for (const fate of standing.groups) {
            if (fate.fate === 'delete') {
              await tx.deleteNode(fate.groupId);
              changes.push({ kind: 'group.delete', target: fate.groupId, details: { reason: 'its only member left' } });
            } else if (fate.fate === 'handover') {
              for (const adminId of fate.newAdminIds) await tx.addMembership({ accountId: adminId, organizationId: fate.groupId, role: 'admin' });
              changes.push({ kind: 'group.handover', target: fate.groupId, details: { newAdmins: fate.newAdminIds } });
            }
          }
        }
        await tx.removeAllMemberships(accountId);
        if (oldRootId && standing.kind !== 'owner_alone') changes.push({ kind: 'organization.leave', target: accountId });
        // The invited address becomes the account's (verified: the person opened the link sent to it).
        await tx.updateAccount(accountId, { email: invitation.email, emailVerified: true });
        await tx.addMembership({ accountId, organizationId: invitation.businessGroupId, role: invitation.role });
        return { account, oldRootId, changes, standing };
      });
      const base = { actor: accountId, outcome: 'success' as const, ip: request.ip, userAgent: request.userAgent };
      for (const change of outcome.changes) {
        await audit.record({ ...base, action: change.kind, target: change.target, organizationId: outcome.oldRootId, details: change.details });
      }
      if (outcome.account.email !== invitation.email) {
        await audit.record({ ...base, action: 'account.email_change', target: accountId, organizationId: invitation.organizationId, details: { reason: 'invitation' } });
      }
      await audit.record({
        ...base,
        action: 'invitation.accept',
        target: invitation.id,
        organizationId: invitation.organizationId,
        details: { role: invitation.role, businessGroupId: invitation.businessGroupId, existingAccount: true, previous: outcome.standing.kind },
      });
      return { accountId, organizationId: invitation.organizationId };
    },
  };
}

export type InvitationService = ReturnType<typeof createInvitationService>;
