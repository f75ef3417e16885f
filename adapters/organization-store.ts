// knex implementation of the OrganizationStore contract: organizations and business groups,
// memberships, and the account reads and writes administrators need. SQL lives here and only here.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Role } from '../accounts/account.ts';
import { normalizeEmail, normalizeUsername } from '../accounts/account-rules.ts';
import { DomainError } from '../accounts/errors.ts';
import type { Member, Membership, OrganizationStore, OrgNode } from '../accounts/organization.ts';
import { insertLocalAccount, isUuid, toAccount, UNIQUE_VIOLATION, type AccountRow } from './account-store.ts';

type NodeRow = { id: string; name: string; parent_id: string | null; root_id: string | null; created_at: Date | string };
const toNode = (r: NodeRow): OrgNode => ({
  id: r.id,
  name: r.name,
  parentId: r.parent_id,
  rootId: r.root_id ?? r.id,
  createdAt: new Date(r.created_at),
});

const usernameTaken = () => new DomainError('username.taken', { status: 409, field: 'username' });

export function createKnexOrganizationStore(db: Knex | Knex.Transaction): OrganizationStore {
  const inTree = (rootId: string) => (q: Knex.QueryBuilder) => q.where('o.id', rootId).orWhere('o.root_id', rootId);

  async function membersWithMemberships(rows: AccountRow[]): Promise<Member[]> {
    if (rows.length === 0) return [];
    const memberships: { account_id: string; organization_id: string; role: Role }[] = await db('memberships')
      .whereIn('account_id', rows.map((r) => r.id))
      .select('account_id', 'organization_id', 'role');
    return rows.map((r) => ({
      ...toAccount(r),
      memberships: memberships.filter((m) => m.account_id === r.id).map((m) => ({ organizationId: m.organization_id, role: m.role })),
    }));
  }

  const store: OrganizationStore = {
    async transaction(work) {
      // Already inside one (a store built on a transaction): nest as a savepoint.
      return (db as Knex).transaction(async (trx) => work(createKnexOrganizationStore(trx)));
    },
    async lockAccount(accountId) {
      await db('accounts').where({ id: accountId }).forUpdate().first('id');
    },
    async lockOrganization(rootId) {
      await db('organizations').where({ id: rootId }).forUpdate().first('id');
    },

    async findNode(id) {
      if (!isUuid(id)) return undefined;
      const row: NodeRow | undefined = await db('organizations').where({ id }).first('*');
      return row ? toNode(row) : undefined;
    },
    async listTree(rootId) {
      if (!isUuid(rootId)) return [];
      // Parents before children: a recursive walk from the root gives the depth to sort by.
      const rows: NodeRow[] = await db
        .withRecursive('tree', (qb) => {
          qb.select('o.*', db.raw('0 as depth')).from('organizations as o').where('o.id', rootId)
            .unionAll((u) => {
              u.select('c.*', db.raw('tree.depth + 1')).from('organizations as c').join('tree', 'c.parent_id', 'tree.id');
            });
        })
        .select('id', 'name', 'parent_id', 'root_id', 'created_at')
        .from('tree')
        .orderBy([{ column: 'depth' }, { column: 'name' }]);
      return rows.map(toNode);
    },
    async createRoot(name) {
      const [row] = await db('organizations').insert({ id: randomUUID(), name: name.trim(), parent_id: null }).returning('*');
      return toNode(row);
    },
    async createGroup({ name, parentId, rootId }) {
      const [row] = await db('organizations')
        .insert({ id: randomUUID(), name: name.trim(), parent_id: parentId, root_id: rootId })
        .returning('*');
      return toNode(row);
    },
    async renameNode(id, name) {
      await db('organizations').where({ id }).update({ name: name.trim() });
    },
    async moveGroup(id, parentId) {
      await db('organizations').where({ id }).update({ parent_id: parentId });
    },
    async deleteNode(id) {
      // Sub-groups cascade through parent_id (and root_id); memberships and invitations through their foreign keys.
      await db('organizations').where({ id }).delete();
    },

    async membershipsOf(accountId) {
      if (!isUuid(accountId)) return [];
      const rows = await db('memberships as m')
        .join('organizations as o', 'o.id', 'm.organization_id')
        .where('m.account_id', accountId)
        .orderBy('m.created_at')
        .select('m.account_id', 'm.organization_id', 'm.role', db.raw('coalesce(o.root_id, o.id) as root_id'));
      return rows.map((r: { account_id: string; organization_id: string; role: Role; root_id: string }) => ({
        accountId: r.account_id,
        organizationId: r.organization_id,
        role: r.role,
        rootId: r.root_id,
      }));
    },
    async membershipsIn(rootId) {
      const rows = await db('memberships as m')
        .join('organizations as o', 'o.id', 'm.organization_id')
        .where(inTree(rootId))
        .select('m.account_id', 'm.organization_id', 'm.role');
      return rows.map((r: { account_id: string; organization_id: string; role: Role }): Membership => ({
        accountId: r.account_id,
        organizationId: r.organization_id,
        role: r.role,
      }));
    },
    async addMembership({ accountId, organizationId, role }) {
      await db('memberships').insert({ account_id: accountId, organization_id: organizationId, role }).onConflict(['account_id', 'organization_id', 'role']).ignore();
    },
    async removeMembership({ accountId, organizationId, role }) {
      await db('memberships').where({ account_id: accountId, organization_id: organizationId, role }).delete();
    },
    async removeAllMemberships(accountId) {
      await db('memberships').where({ account_id: accountId }).delete();
    },

    async findAccount(accountId) {
      if (!isUuid(accountId)) return undefined;
      const row: AccountRow | undefined = await db('accounts').where({ id: accountId }).first('*');
      return row ? toAccount(row) : undefined;
    },
    async findAccountByUsername(username) {
      const row: AccountRow | undefined = await db('accounts').whereRaw('lower(username) = ?', [normalizeUsername(username)]).first('*');
      return row ? toAccount(row) : undefined;
    },
    async findAccountsByEmail(email) {
      const rows: AccountRow[] = await db('accounts').where({ email: normalizeEmail(email) }).orderBy('created_at').select('*');
      return rows.map(toAccount);
    },
    async createAccount({ account, passwordHash }) {
      try {
        // A savepoint, so a taken username does not abort the caller's transaction.
        return await (db as Knex).transaction(async (trx) => {
          const row = await insertLocalAccount(trx, account, passwordHash);
          return toAccount(row);
        });
      } catch (err) {
        if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw usernameTaken();
        throw err;
      }
    },
    async updateAccount(accountId, changes) {
      const update: Record<string, unknown> = {};
      if (changes.email !== undefined) update.email = normalizeEmail(changes.email);
      if (changes.emailVerified !== undefined) update.email_verified = changes.emailVerified;
      if (changes.name !== undefined) update.name = changes.name;
      if (changes.serviceAccount !== undefined) update.service_account = changes.serviceAccount;
      // An exemption belongs to a service account: it ends when the account stops being one.
      if (changes.serviceAccount === false) update.mfa_exempt = false;
      if (Object.keys(update).length === 0) return;
      await db('accounts').where({ id: accountId }).update({ ...update, updated_at: db.fn.now() });
    },
    async listMembers(rootId, query) {
      const q = db('accounts as a')
        .whereExists((sub) => {
          sub.select(db.raw('1')).from('memberships as m').join('organizations as o', 'o.id', 'm.organization_id')
            .whereRaw('m.account_id = a.id').andWhere(inTree(rootId));
          if (query.withinNodes) sub.whereIn('m.organization_id', query.withinNodes);
        });
      if (query.search) {
        const like = `%${query.search.toLowerCase().replace(/[\\%_]/g, '\\$&')}%`;
        q.andWhere((w) => w.whereRaw('lower(a.username) like ?', [like]).orWhereRaw('a.email like ?', [like]).orWhereRaw("lower(coalesce(a.name, '')) like ?", [like]));
      }
      if (query.after) q.andWhereRaw('lower(a.username) > ?', [query.after.toLowerCase()]);
      const rows: AccountRow[] = await q.orderByRaw('lower(a.username)').limit(query.limit).select('a.*');
      return membersWithMemberships(rows);
    },
    async findMember(rootId, accountId) {
      if (!isUuid(accountId)) return undefined;
      const row: AccountRow | undefined = await db('accounts as a')
        .where('a.id', accountId)
        .whereExists((sub) => {
          sub.select(db.raw('1')).from('memberships as m').join('organizations as o', 'o.id', 'm.organization_id')
            .whereRaw('m.account_id = a.id').andWhere(inTree(rootId));
        })
        .first('a.*');
      const [member] = await membersWithMemberships(row ? [row] : []);
      return member;
    },

    async claimInvitation(invitationId, accountId) {
      const updated = await db('invitations')
        .where({ id: invitationId })
        .whereNull('accepted_at')
        .whereNull('revoked_at')
        .andWhere('expires_at', '>', db.fn.now())
        .update({ accepted_at: db.fn.now(), accepted_by: accountId });
      return Number(updated) === 1;
    },
  };
  return store;
}
