// knex implementation of the InvitationStore contract.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Invitation, InvitationStore } from '../accounts/invitation.ts';
import { normalizeEmail } from '../accounts/account-rules.ts';
import { isUuid } from './account-store.ts';

type Row = {
  id: string;
  organization_id: string;
  business_group_id: string;
  email: string;
  role: Invitation['role'];
  invited_by: string;
  created_at: Date | string;
  sent_at: Date | string;
  expires_at: Date | string;
  accepted_at: Date | string | null;
  accepted_by: string | null;
  revoked_at: Date | string | null;
};

const date = (v: Date | string | null) => (v === null ? null : new Date(v));
const toInvitation = (r: Row): Invitation => ({
  id: r.id,
  organizationId: r.organization_id,
  businessGroupId: r.business_group_id,
  email: r.email,
  role: r.role,
  invitedBy: r.invited_by,
  createdAt: new Date(r.created_at),
  sentAt: new Date(r.sent_at),
  expiresAt: new Date(r.expires_at),
  acceptedAt: date(r.accepted_at),
  acceptedBy: r.accepted_by,
  revokedAt: date(r.revoked_at),
});

export function createKnexInvitationStore(knex: Knex): InvitationStore {
  return {
    async create(input) {
      const [row] = await knex('invitations')
        .insert({
          id: randomUUID(),
          token_hash: input.tokenHash,
          organization_id: input.organizationId,
          business_group_id: input.businessGroupId,
          email: normalizeEmail(input.email),
          role: input.role,
          invited_by: input.invitedBy,
          sent_at: input.sentAt,
          expires_at: input.expiresAt,
        })
        .returning('*');
      return toInvitation(row);
    },
    async find(id) {
      if (!isUuid(id)) return undefined;
      const row: Row | undefined = await knex('invitations').where({ id }).first('*');
      return row ? toInvitation(row) : undefined;
    },
    async findByTokenHash(tokenHash) {
      const row: Row | undefined = await knex('invitations').where({ token_hash: tokenHash }).first('*');
      return row ? toInvitation(row) : undefined;
    },
    async list(organizationId, query) {
      const q = knex('invitations').where({ organization_id: organizationId });
      if (query.pendingOnly) q.whereNull('accepted_at').whereNull('revoked_at').andWhere('expires_at', '>', knex.fn.now());
      if (query.withinNodes) q.whereIn('business_group_id', query.withinNodes);
      if (query.before) {
        const cursor = await knex('invitations').where({ id: query.before, organization_id: organizationId }).first('created_at');
        if (cursor) {
          q.andWhere((w) => w.where('created_at', '<', cursor.created_at).orWhere((e) => e.where('created_at', cursor.created_at).andWhere('id', '<', query.before!)));
        }
      }
      const rows: Row[] = await q.orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(query.limit).select('*');
      return rows.map(toInvitation);
    },
    async renew(id, input) {
      await knex('invitations').where({ id }).update({ token_hash: input.tokenHash, sent_at: input.sentAt, expires_at: input.expiresAt });
    },
    async revoke(id) {
      await knex('invitations').where({ id }).whereNull('revoked_at').update({ revoked_at: knex.fn.now() });
    },
    async remove(id) {
      await knex('invitations').where({ id }).delete();
    },
  };
}
