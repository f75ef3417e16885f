// Waiving MFA (reference: "Exempt accounts"): only non-SSO service accounts can be exempted, by an
// administrator of their organization; a person's account never is ("use a connected app").
import { assertCan, notFound, reaches, type Principal } from './access.ts';
import type { AuditLog, AuditAction } from './audit.ts';
import { DomainError, assertThat } from './errors.ts';
import type { Member, OrganizationStore } from './organization.ts';

export type MfaExemptionStore = {
  /** Exempt accounts with a membership in the organization tree rooted at `rootId`. */
  list(rootId: string): Promise<{ id: string; username: string; email: string }[]>;
  set(accountId: string, exempt: boolean): Promise<void>;
  hasPassword(accountId: string): Promise<boolean>;
};

export function createMfaExemptions(deps: { orgs: OrganizationStore; store: MfaExemptionStore; audit: AuditLog }) {
  const { orgs, store, audit } = deps;

  async function memberOf(p: Principal, accountId: string): Promise<Member> {
    assertCan(p, 'users:manage');
    const member = await orgs.findMember(p.organizationId, accountId);
    if (!member || (p.groupScope !== null && !member.memberships.some((m) => reaches(p, m.organizationId)))) throw notFound('user');
    return member;
  }

  const record = (p: Principal, action: AuditAction, target: string, outcome: 'success' | 'denied', reason?: string) =>
    audit.record({ actor: p.id, action, target, organizationId: p.organizationId, outcome, ip: p.ip, userAgent: p.userAgent, details: reason ? { reason } : undefined });

  return {
    async list(p: Principal) {
      assertCan(p, 'users:manage');
      return store.list(p.organizationId);
    },

    async add(p: Principal, accountId: string) {
      const member = await memberOf(p, accountId);
      if (!member.serviceAccount) {
        await record(p, 'mfa.exemption_add', accountId, 'denied', 'human_account');
        throw new DomainError('mfa_exemption.human_account', { status: 409 });
      }
      const local = await store.hasPassword(accountId);
      assertThat(local, () => new DomainError('mfa_exemption.sso_account', { status: 409 }));
      await store.set(accountId, true);
      await record(p, 'mfa.exemption_add', accountId, 'success');
    },

    async remove(p: Principal, accountId: string) {
      await memberOf(p, accountId);
      await store.set(accountId, false);
      await record(p, 'mfa.exemption_remove', accountId, 'success');
    },
  };
}

export type MfaExemptions = ReturnType<typeof createMfaExemptions>;
