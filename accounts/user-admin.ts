// What organization administrators do to users (reference: Access Management → Users): list and
// search, view, change email and name, remove from the organization (the account becomes
// unattached), mark as service account, send a password reset link, reset MFA, see and lift a
// sign-in lockout (accounts/throttle.ts).
// An administrator acts only on accounts ranked below them (or on themselves), so an administrator
// cannot take over the owner's or another administrator's account by changing its email and
// sending it a reset link.
import type { Role } from './account.ts';
import { AccessDenied, assertCan, notFound, reaches, type Principal } from './access.ts';
import { emailViolations, normalizeEmail } from './account-rules.ts';
import type { AccountSessions } from './account-sessions.ts';
import type { AuditLog, AuditAction } from './audit.ts';
import { DomainError, ValidationError, assertThat, violation } from './errors.ts';
import { assessStanding } from './membership-rules.ts';
import type { Member, OrganizationStore } from './organization.ts';
import { effectivePermissions } from './permissions.ts';
import type { LockoutStatus } from './throttle.ts';

/** Sends an account a password reset link; supplied by the password-reset feature. */
export type PasswordResetSender = (accountId: string, request: { ip?: string; userAgent?: string; initiatedBy: string }) => Promise<void>;
/** Removes an account's MFA methods so it enrols again at next sign-in; supplied by the MFA feature. */
export type MfaResetter = (accountId: string, request: { ip?: string; userAgent?: string; initiatedBy: string }) => Promise<void>;

/** The sign-in throttle's view of an account, and its unlock; supplied by accounts/throttle.ts. */
export type Lockouts = {
  status(username: string): Promise<LockoutStatus>;
  unlock(username: string): Promise<LockoutStatus>;
};

const NOT_LOCKED: LockoutStatus = { locked: false, failures: 0, lockedUntil: null, waitSeconds: 0 };

/** owner > administrator of the organization > administrator of a business group > member. */
function rankOf(rootId: string, memberships: { organizationId: string; role: Role }[]): number {
  if (memberships.some((m) => m.role === 'owner')) return 3;
  if (memberships.some((m) => m.role === 'admin' && m.organizationId === rootId)) return 2;
  if (memberships.some((m) => m.role === 'admin')) return 1;
  return 0;
}

export type UserView = Member & { roles: Role[]; permissions: string[] };

export function createUserAdmin(deps: {
  orgs: OrganizationStore;
  audit: AuditLog;
  sendPasswordReset?: PasswordResetSender;
  resetMfa?: MfaResetter;
  lockouts?: Lockouts;
  /** A user's active sessions (the sessions feature): list them, sign one or all out. */
  sessions?: Pick<AccountSessions, 'list' | 'end' | 'endAll'>;
}) {
  const { orgs, audit } = deps;

  const record = (p: Principal, action: AuditAction, target: string, details?: Record<string, unknown>) =>
    audit.record({ actor: p.id, action, target, organizationId: p.organizationId, outcome: 'success', ip: p.ip, userAgent: p.userAgent, details });

  const view = (m: Member, rootId: string): UserView => ({
    ...m,
    roles: [...new Set(m.memberships.map((x) => x.role))],
    permissions: effectivePermissions(rootId, m.memberships),
  });

  /** A user of the principal's organization within its reach, or not found. */
  async function userOf(p: Principal, accountId: string): Promise<Member> {
    const member = await orgs.findMember(p.organizationId, accountId);
    if (!member) throw notFound('user');
    if (p.groupScope !== null && !member.memberships.some((m) => reaches(p, m.organizationId))) throw notFound('user');
    return member;
  }

  async function assertMayManage(p: Principal, target: Member) {
    assertCan(p, 'users:manage');
    if (p.kind === 'user' && p.id === target.id) return;
    const actorRank = p.kind === 'app' ? 2 : rankOf(p.organizationId, (await orgs.membershipsOf(p.id)).filter((m) => m.rootId === p.organizationId));
    const targetRank = rankOf(p.organizationId, target.memberships);
    if (targetRank >= actorRank) throw new AccessDenied('access.reason.higher_role');
  }

  function sessionsFeature() {
    if (!deps.sessions) throw new DomainError('sessions.unavailable', { status: 501 });
    return deps.sessions;
  }
  const endContext = (p: Principal) => ({ actor: p.id, by: 'administrator' as const, organizationId: p.organizationId, ip: p.ip, userAgent: p.userAgent });

  return {
    async list(p: Principal, query: { search?: string; after?: string; limit: number }) {
      assertCan(p, 'users:read');
      const withinNodes = p.groupScope === null ? undefined : [...p.groupScope];
      const members = await orgs.listMembers(p.organizationId, { ...query, withinNodes });
      return members.map((m) => view(m, p.organizationId));
    },

    async get(p: Principal, accountId: string) {
      assertCan(p, 'users:read');
      return view(await userOf(p, accountId), p.organizationId);
    },

    async update(p: Principal, accountId: string, changes: { email?: string; name?: string | null }) {
      const target = await userOf(p, accountId);
      await assertMayManage(p, target);
      const violations = [];
      if (changes.email !== undefined) violations.push(...emailViolations(changes.email.trim()));
      if (changes.name !== undefined && changes.name !== null && changes.name.trim().length > 200) {
        violations.push(violation('name', 'name.too_long'));
      }
      if (violations.length) throw new ValidationError(violations);
      const email = changes.email !== undefined ? normalizeEmail(changes.email) : undefined;
      const emailChanged = email !== undefined && email !== target.email;
      const name = changes.name === undefined ? undefined : changes.name === null || changes.name.trim() === '' ? null : changes.name.trim();
      // A new address set by an administrator is not proven by its owner yet.
      await orgs.updateAccount(accountId, { email, emailVerified: emailChanged ? false : undefined, name });
      if (emailChanged) await record(p, 'user.email_change', accountId, { from: target.email, to: email });
      if (name !== undefined && name !== target.name) await record(p, 'user.name_change', accountId);
      return view(await userOf(p, accountId), p.organizationId);
    },

    async setServiceAccount(p: Principal, accountId: string, serviceAccount: boolean) {
      const target = await userOf(p, accountId);
      await assertMayManage(p, target);
      assertThat(
        !(serviceAccount && target.memberships.some((m) => m.role === 'owner')),
        new DomainError('user.owner_not_service_account', { status: 409 }),
      );
      await orgs.updateAccount(accountId, { serviceAccount });
      await record(p, serviceAccount ? 'user.service_account_set' : 'user.service_account_unset', accountId);
      return view(await userOf(p, accountId), p.organizationId);
    },

    /**
     * Removes the user from the organization: the account stays and can still sign in, unattached.
     * Business groups it administered alone are handed to the parent's administrators.
     */
    async remove(p: Principal, accountId: string) {
      const target = await userOf(p, accountId);
      assertThat(!(p.kind === 'user' && p.id === accountId), new DomainError('user.remove_self', { status: 409 }));
      await assertMayManage(p, target);
      const handovers = await orgs.transaction(async (tx) => {
        await tx.lockOrganization(p.organizationId);
        await tx.lockAccount(accountId);
        const tree = await tx.listTree(p.organizationId);
        const memberships = await tx.membershipsIn(p.organizationId);
        const standing = assessStanding({ accountId, tree, memberships });
        assertThat(
          standing.kind !== 'owner_alone' && standing.kind !== 'owner_with_members',
          new DomainError('user.is_owner', { status: 409 }),
        );
        const out: { groupId: string; newAdminIds: string[] }[] = [];
        if (standing.kind === 'admin') {
          for (const fate of standing.groups) {
            // Removal keeps empty groups (an administrator may want them); only joining elsewhere deletes them.
            if (fate.fate !== 'handover') continue;
            for (const adminId of fate.newAdminIds) await tx.addMembership({ accountId: adminId, organizationId: fate.groupId, role: 'admin' });
            out.push({ groupId: fate.groupId, newAdminIds: fate.newAdminIds });
          }
        }
        await tx.removeAllMemberships(accountId);
        return out;
      });
      for (const h of handovers) await record(p, 'group.handover', h.groupId, { newAdmins: h.newAdminIds, from: accountId });
      await record(p, 'user.remove', accountId, { username: target.username });
    },

    async sendPasswordReset(p: Principal, accountId: string) {
      const target = await userOf(p, accountId);
      await assertMayManage(p, target);
      if (!deps.sendPasswordReset) {
        throw new DomainError('password_reset.unavailable', { status: 501 });
      }
      await deps.sendPasswordReset(accountId, { ip: p.ip, userAgent: p.userAgent, initiatedBy: p.id });
      await record(p, 'user.password_reset_link', accountId);
    },

    async resetMfa(p: Principal, accountId: string) {
      const target = await userOf(p, accountId);
      await assertMayManage(p, target);
      if (!deps.resetMfa) {
        throw new DomainError('mfa_reset.unavailable', { status: 501 });
      }
      await deps.resetMfa(accountId, { ip: p.ip, userAgent: p.userAgent, initiatedBy: p.id });
      await record(p, 'user.mfa_reset', accountId);
    },

    /** Whether the user's sign-ins are locked (or waiting) after consecutive failures. */
    async lockout(p: Principal, accountId: string): Promise<LockoutStatus> {
      assertCan(p, 'users:read');
      const target = await userOf(p, accountId);
      return deps.lockouts ? deps.lockouts.status(target.username) : NOT_LOCKED;
    },

    /** Lockout status of users already listed for this principal (the users page's "locked" badges). */
    async lockoutsOf(p: Principal, listed: UserView[]): Promise<Map<string, LockoutStatus>> {
      assertCan(p, 'users:read');
      const entries = await Promise.all(listed.map(async (u) => [u.id, deps.lockouts ? await deps.lockouts.status(u.username) : NOT_LOCKED] as const));
      return new Map(entries);
    },

    /** Lifts a lockout (and any wait): the consecutive failures are forgotten. Audited in the organization. */
    async unlock(p: Principal, accountId: string): Promise<LockoutStatus> {
      const target = await userOf(p, accountId);
      await assertMayManage(p, target);
      if (!deps.lockouts) return NOT_LOCKED;
      const before = await deps.lockouts.unlock(target.username);
      await record(p, 'account.unlocked', accountId, { was_locked: before.locked, failures: before.failures });
      return deps.lockouts.status(target.username);
    },

    /** The user's active sessions (device, place, when, how, apps): seeing them needs users:read. */
    async listSessions(p: Principal, accountId: string, options: { currentUid?: string } = {}) {
      assertCan(p, 'users:read');
      await userOf(p, accountId);
      return sessionsFeature().list(accountId, options);
    },

    /** "Sign out" one session of the user; audited (session.end, by an administrator) and emailed to the user. */
    async endSession(p: Principal, accountId: string, sessionUid: string) {
      assertCan(p, 'users:manage'); // whatever the id: a caller without the permission learns nothing about it
      const target = await userOf(p, accountId);
      await assertMayManage(p, target);
      await sessionsFeature().end(accountId, sessionUid, endContext(p));
    },

    /** "Sign out everywhere": every session of the user; returns how many ended. */
    async endAllSessions(p: Principal, accountId: string) {
      assertCan(p, 'users:manage'); // whatever the id: a caller without the permission learns nothing about it
      const target = await userOf(p, accountId);
      await assertMayManage(p, target);
      return sessionsFeature().endAll(accountId, endContext(p));
    },

    /** Whether the password reset, MFA reset and session actions are wired (the pages hide what is not). */
    capabilities: { passwordReset: Boolean(deps.sendPasswordReset), mfaReset: Boolean(deps.resetMfa), sessions: Boolean(deps.sessions) },
  };
}

export type UserAdmin = ReturnType<typeof createUserAdmin>;
