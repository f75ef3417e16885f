// Organizations and their business groups: read the tree, create, rename, move and delete groups,
// transfer ownership, delete an organization. The admin API and the admin pages both call this.
import type { AuditLog, AuditAction } from './audit.ts';
import { assertCan, AccessDenied, notFound, reaches, type Principal } from './access.ts';
import { companyViolations } from './account-rules.ts';
import { DomainError, ValidationError, assertThat, type RuleViolation, violation } from './errors.ts';
import { membersOf, subtreeIds } from './membership-rules.ts';
import type { OrganizationStore, OrgNode } from './organization.ts';

export function groupNameViolations(name: string): RuleViolation[] {
  const trimmed = name.trim();
  if (trimmed.length < 1) return [violation('name', 'group.name_required')];
  if (trimmed.length > 200) return [violation('name', 'group.name_too_long')];
  return [];
}

export type OrganizationTree = { organization: OrgNode; groups: (OrgNode & { memberCount: number })[] };

export function createOrganizationService(deps: { orgs: OrganizationStore; audit: AuditLog }) {
  const { orgs, audit } = deps;

  const record = (p: Principal, action: AuditAction, target: string | null, details?: Record<string, unknown>) =>
    audit.record({ actor: p.id, action, target, organizationId: p.organizationId, outcome: 'success', ip: p.ip, userAgent: p.userAgent, details });

  /** A node of the principal's organization, or not found (another organization's ids do not exist here). */
  async function nodeOf(p: Principal, id: string): Promise<OrgNode> {
    const node = await orgs.findNode(id);
    if (!node || node.rootId !== p.organizationId) throw notFound('business_group');
    return node;
  }

  async function tree(p: Principal): Promise<OrganizationTree> {
    assertCan(p, 'organization:read');
    const nodes = await orgs.listTree(p.organizationId);
    const memberships = await orgs.membershipsIn(p.organizationId);
    const organization = nodes.find((n) => n.id === p.organizationId);
    if (!organization) throw notFound('organization');
    return {
      organization,
      groups: nodes.filter((n) => n.parentId !== null).map((n) => ({
        ...n,
        memberCount: new Set(memberships.filter((m) => m.organizationId === n.id).map((m) => m.accountId)).size,
      })),
    };
  }

  return {
    tree,

    async getGroup(p: Principal, id: string) {
      assertCan(p, 'organization:read');
      const node = await nodeOf(p, id);
      assertThat(node.parentId !== null, notFound('business_group'));
      return node;
    },

    async createGroup(p: Principal, input: { name: string; parentId?: string | null }) {
      assertCan(p, 'groups:manage');
      const violations = groupNameViolations(input.name);
      if (violations.length) throw new ValidationError(violations);
      const parent = await nodeOf(p, input.parentId ?? p.organizationId);
      if (!reaches(p, parent.id)) throw new AccessDenied('access.reason.create_group_scope');
      const group = await orgs.createGroup({ name: input.name, parentId: parent.id, rootId: p.organizationId });
      await record(p, 'group.create', group.id, { name: group.name, parentId: parent.id });
      return group;
    },

    async rename(p: Principal, id: string, name: string) {
      const node = await nodeOf(p, id);
      if (node.parentId === null) {
        assertCan(p, 'organization:manage');
        const violations = companyViolations(name).map((v) => ({ ...v, field: 'name' }));
        if (violations.length) throw new ValidationError(violations);
      } else {
        assertCan(p, 'groups:manage');
        if (!reaches(p, node.id)) throw new AccessDenied('access.reason.rename_group_scope');
        const violations = groupNameViolations(name);
        if (violations.length) throw new ValidationError(violations);
      }
      await orgs.renameNode(node.id, name);
      await record(p, node.parentId === null ? 'organization.rename' : 'group.rename', node.id, { from: node.name, to: name.trim() });
      return { ...node, name: name.trim() };
    },

    async move(p: Principal, id: string, parentId: string) {
      assertCan(p, 'groups:manage');
      // Audit after the transaction: the embedded store has one connection, which the transaction holds.
      const moved = await orgs.transaction(async (tx) => {
        await tx.lockOrganization(p.organizationId);
        const group = await nodeOfIn(tx, p, id);
        assertThat(group.parentId !== null, new DomainError('group.is_root', { status: 409 }));
        const parent = await nodeOfIn(tx, p, parentId);
        // A group administrator moves groups below their own, never their own group out of reach.
        if (!reaches(p, group.id) || !reaches(p, group.parentId!) || !reaches(p, parent.id)) {
          throw new AccessDenied('access.reason.move_group_scope');
        }
        const nodes = await tx.listTree(p.organizationId);
        assertThat(
          !subtreeIds(nodes, group.id).has(parent.id),
          new DomainError('group.move_cycle', { status: 409, field: 'parentId' }),
        );
        await tx.moveGroup(group.id, parent.id);
        return { group: { ...group, parentId: parent.id }, from: group.parentId };
      });
      await record(p, 'group.move', moved.group.id, { from: moved.from, to: moved.group.parentId });
      return moved.group;
    },

    async deleteGroup(p: Principal, id: string) {
      assertCan(p, 'groups:manage');
      await orgs.transaction(async (tx) => {
        await tx.lockOrganization(p.organizationId);
        const group = await nodeOfIn(tx, p, id);
        assertThat(group.parentId !== null, new DomainError('group.is_root', { status: 409 }));
        if (!reaches(p, group.id) || !reaches(p, group.parentId!)) throw new AccessDenied('access.reason.delete_group_scope');
        const nodes = await tx.listTree(p.organizationId);
        const members = membersOf(nodes, await tx.membershipsIn(p.organizationId), group.id);
        assertThat(
          members.size === 0,
          new DomainError('group.not_empty', { status: 409, vars: { count: members.size } }),
        );
        await tx.deleteNode(group.id);
      });
      await record(p, 'group.delete', id);
    },

    /** The owner hands the organization to another of its members, who also becomes an administrator. */
    async transferOwnership(p: Principal, toAccountId: string) {
      assertCan(p, 'organization:transfer');
      assertThat(p.kind === 'user', new AccessDenied('access.reason.owner_transfers'));
      await orgs.transaction(async (tx) => {
        await tx.lockOrganization(p.organizationId);
        const memberships = await tx.membershipsIn(p.organizationId);
        assertThat(
          memberships.some((m) => m.accountId === p.id && m.role === 'owner' && m.organizationId === p.organizationId),
          new AccessDenied('access.reason.owner_transfers'),
        );
        assertThat(toAccountId !== p.id, new DomainError('ownership.same_account', { status: 409 }));
        assertThat(memberships.some((m) => m.accountId === toAccountId), notFound('user'));
        await tx.removeMembership({ accountId: p.id, organizationId: p.organizationId, role: 'owner' });
        await tx.addMembership({ accountId: toAccountId, organizationId: p.organizationId, role: 'owner' });
        await tx.addMembership({ accountId: toAccountId, organizationId: p.organizationId, role: 'admin' });
      });
      await record(p, 'organization.transfer_ownership', toAccountId, { from: p.id });
    },

    /** The owner deletes the organization; only when nobody else is in it (same rule as leaving it). */
    async deleteOrganization(p: Principal) {
      assertCan(p, 'organization:transfer');
      await orgs.transaction(async (tx) => {
        await tx.lockOrganization(p.organizationId);
        const memberships = await tx.membershipsIn(p.organizationId);
        assertThat(memberships.some((m) => m.accountId === p.id && m.role === 'owner'), new AccessDenied('access.reason.owner_deletes'));
        const others = new Set(memberships.map((m) => m.accountId));
        others.delete(p.id);
        assertThat(
          others.size === 0,
          new DomainError('organization.has_members', { status: 409 }),
        );
        await tx.deleteNode(p.organizationId);
      });
      await record(p, 'organization.delete', p.organizationId);
    },
  };
}

async function nodeOfIn(store: OrganizationStore, p: Principal, id: string): Promise<OrgNode> {
  const node = await store.findNode(id);
  if (!node || node.rootId !== p.organizationId) throw notFound('business_group');
  return node;
}

export type OrganizationService = ReturnType<typeof createOrganizationService>;
