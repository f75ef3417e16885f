// The reference rules for leaving an organization ("Use an Existing Account", "Use an Organization
// Administrator Account", "Account Associated as an Organization Owner"), as pure functions over a
// snapshot of one organization tree and its memberships. The services load the snapshot inside a
// transaction, ask these functions what to do, and apply the answer.
import type { Membership, OrgNode } from './organization.ts';

/** Ids of `nodeId` and every group below it. */
export function subtreeIds(tree: OrgNode[], nodeId: string): Set<string> {
  const ids = new Set([nodeId]);
  // Parents come before children in `tree`, but moves can reorder: loop until nothing is added.
  let grew = true;
  while (grew) {
    grew = false;
    for (const node of tree) {
      if (node.parentId && ids.has(node.parentId) && !ids.has(node.id)) {
        ids.add(node.id);
        grew = true;
      }
    }
  }
  return ids;
}

/** Accounts with any membership in the node or below it. */
export function membersOf(tree: OrgNode[], memberships: Membership[], nodeId: string): Set<string> {
  const ids = subtreeIds(tree, nodeId);
  return new Set(memberships.filter((m) => ids.has(m.organizationId)).map((m) => m.accountId));
}

/** What joining another organization means for an account, shown before it confirms. */
export type Standing =
  | { kind: 'unattached' }
  | { kind: 'member'; rootId: string }
  | { kind: 'admin'; rootId: string; groups: GroupFate[] }
  | { kind: 'owner_alone'; rootId: string }
  | { kind: 'owner_with_members'; rootId: string; otherMembers: number };

/** What happens to a business group an administrator leaves. */
export type GroupFate = {
  groupId: string;
  groupName: string;
  /** delete: no other members; handover: the parent's administrators take over; keep: another administrator remains. */
  fate: 'delete' | 'handover' | 'keep';
  /** For handover: who becomes the group's administrator. */
  newAdminIds: string[];
};

/** Whether the account needs the "!" mark and a confirmation before it can join elsewhere. */
export const needsConfirmation = (standing: Standing) => standing.kind !== 'unattached';

export function assessStanding(input: { accountId: string; tree: OrgNode[]; memberships: Membership[] }): Standing {
  const { accountId, tree, memberships } = input;
  const mine = memberships.filter((m) => m.accountId === accountId);
  if (mine.length === 0 || tree.length === 0) return { kind: 'unattached' };
  const root = tree.find((n) => n.parentId === null);
  if (!root) return { kind: 'unattached' };
  const others = membersOf(tree, memberships, root.id);
  others.delete(accountId);
  if (mine.some((m) => m.role === 'owner')) {
    return others.size === 0 ? { kind: 'owner_alone', rootId: root.id } : { kind: 'owner_with_members', rootId: root.id, otherMembers: others.size };
  }
  const adminOf = mine.filter((m) => m.role === 'admin').map((m) => m.organizationId);
  if (adminOf.length === 0) return { kind: 'member', rootId: root.id };
  return { kind: 'admin', rootId: root.id, groups: groupFates({ accountId, tree, memberships, adminOf }) };
}

function groupFates(input: { accountId: string; tree: OrgNode[]; memberships: Membership[]; adminOf: string[] }): GroupFate[] {
  const { accountId, tree, memberships, adminOf } = input;
  const byId = new Map(tree.map((n) => [n.id, n]));
  const fates: GroupFate[] = [];
  for (const groupId of adminOf) {
    const group = byId.get(groupId);
    // The root keeps its owner when an administrator leaves it; only business groups need a fate.
    if (!group || group.parentId === null) continue;
    const others = membersOf(tree, memberships, groupId);
    others.delete(accountId);
    if (others.size === 0) {
      fates.push({ groupId, groupName: group.name, fate: 'delete', newAdminIds: [] });
      continue;
    }
    const otherAdmins = memberships.filter((m) => m.organizationId === groupId && m.role === 'admin' && m.accountId !== accountId);
    if (otherAdmins.length > 0) {
      fates.push({ groupId, groupName: group.name, fate: 'keep', newAdminIds: [] });
      continue;
    }
    fates.push({ groupId, groupName: group.name, fate: 'handover', newAdminIds: parentAdmins({ accountId, tree, memberships, groupId }) });
  }
  // A group inside a group that is deleted goes with it: say so once, for the outer one.
  const deleted = new Set(fates.filter((f) => f.fate === 'delete').flatMap((f) => [...subtreeIds(tree, f.groupId)]));
  return fates.filter((f) => f.fate === 'delete' ? !isBelowAnother(tree, f.groupId, deleted) : !deleted.has(f.groupId));
}

function isBelowAnother(tree: OrgNode[], groupId: string, deleted: Set<string>) {
  const parent = tree.find((n) => n.id === groupId)?.parentId;
  return parent !== null && parent !== undefined && deleted.has(parent);
}

/**
 * "the organization administrator of the parent organization is automatically assigned": the
 * administrators of the nearest ancestor that has any (other than the leaving account); the owner
 * when no ancestor has one.
 */
function parentAdmins(input: { accountId: string; tree: OrgNode[]; memberships: Membership[]; groupId: string }): string[] {
  const { accountId, tree, memberships } = input;
  const byId = new Map(tree.map((n) => [n.id, n]));
  let parentId = byId.get(input.groupId)?.parentId ?? null;
  while (parentId) {
    const admins = memberships.filter((m) => m.organizationId === parentId && m.role === 'admin' && m.accountId !== accountId);
    if (admins.length > 0) return [...new Set(admins.map((m) => m.accountId))];
    parentId = byId.get(parentId)?.parentId ?? null;
  }
  return memberships.filter((m) => m.role === 'owner' && m.accountId !== accountId).map((m) => m.accountId);
}
