// The reference's leaving rules, table-driven over small organization trees.
import assert from 'node:assert/strict';
import type { Membership, OrgNode } from './organization.ts';
import { assessStanding, needsConfirmation, subtreeIds } from './membership-rules.ts';

const node = (id: string, parentId: string | null): OrgNode => ({ id, name: id.toUpperCase(), parentId, rootId: 'root', createdAt: new Date(0) });
// root ─ sales ─ emea
//      └ ops
const tree = [node('root', null), node('sales', 'root'), node('emea', 'sales'), node('ops', 'root')];
const m = (accountId: string, organizationId: string, role: Membership['role']): Membership => ({ accountId, organizationId, role });
const owner = [m('olga', 'root', 'owner'), m('olga', 'root', 'admin')];

describe('membership rules', () => {
  it('subtreeIds includes the group and everything below it', () => {
    assert.deepEqual([...subtreeIds(tree, 'sales')].sort(), ['emea', 'sales']);
    assert.deepEqual([...subtreeIds(tree, 'root')].sort(), ['emea', 'ops', 'root', 'sales']);
  });

  const cases: { name: string; memberships: Membership[]; account: string; expect: unknown }[] = [
    { name: 'no memberships → unattached', memberships: owner, account: 'nobody', expect: { kind: 'unattached' } },
    { name: 'plain member → member', memberships: [...owner, m('max', 'ops', 'member')], account: 'max', expect: { kind: 'member', rootId: 'root' } },
    { name: 'owner alone → owner_alone', memberships: owner, account: 'olga', expect: { kind: 'owner_alone', rootId: 'root' } },
    {
      name: 'owner with a member → owner_with_members',
      memberships: [...owner, m('max', 'emea', 'member')],
      account: 'olga',
      expect: { kind: 'owner_with_members', rootId: 'root', otherMembers: 1 },
    },
    {
      name: 'admin of a group with other members → handover to the parent’s nearest administrators (the owner here)',
      memberships: [...owner, m('ann', 'sales', 'admin'), m('max', 'emea', 'member')],
      account: 'ann',
      expect: { kind: 'admin', rootId: 'root', groups: [{ groupId: 'sales', groupName: 'SALES', fate: 'handover', newAdminIds: ['olga'] }] },
    },
    {
      name: 'admin of a nested group: the parent group’s administrator takes over',
      memberships: [...owner, m('sam', 'sales', 'admin'), m('eve', 'emea', 'admin'), m('max', 'emea', 'member')],
      account: 'eve',
      expect: { kind: 'admin', rootId: 'root', groups: [{ groupId: 'emea', groupName: 'EMEA', fate: 'handover', newAdminIds: ['sam'] }] },
    },
    {
      name: 'admin of a group with no other members → the group is deleted (its empty sub-group with it, said once)',
      memberships: [...owner, m('ann', 'sales', 'admin'), m('ann', 'emea', 'admin')],
      account: 'ann',
      expect: { kind: 'admin', rootId: 'root', groups: [{ groupId: 'sales', groupName: 'SALES', fate: 'delete', newAdminIds: [] }] },
    },
    {
      name: 'another administrator remains → keep',
      memberships: [...owner, m('ann', 'ops', 'admin'), m('bob', 'ops', 'admin')],
      account: 'ann',
      expect: { kind: 'admin', rootId: 'root', groups: [{ groupId: 'ops', groupName: 'OPS', fate: 'keep', newAdminIds: [] }] },
    },
    {
      name: 'administrator of the root (not owner) → admin with no group fates',
      memberships: [...owner, m('ada', 'root', 'admin')],
      account: 'ada',
      expect: { kind: 'admin', rootId: 'root', groups: [] },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(assessStanding({ accountId: c.account, tree, memberships: c.memberships }), c.expect);
    });
  }

  it('every attached account needs the "!" confirmation; an unattached one does not', () => {
    assert.equal(needsConfirmation({ kind: 'unattached' }), false);
    for (const kind of ['member', 'owner_alone'] as const) assert.equal(needsConfirmation({ kind, rootId: 'r' }), true);
  });
});
