// knex implementation of ResetTokenStore (accounts/password-reset.ts).
import type { Knex } from 'knex';
import type { ResetTokenStore } from '../accounts/password-reset.ts';

const affected = (n: unknown) => (typeof n === 'number' ? n : Number((n as { rowCount?: number })?.rowCount ?? 0));

export function createKnexResetTokenStore(knex: Knex): ResetTokenStore {
  return {
    async create(token) {
      await knex('password_reset_tokens').insert({
        id: token.id,
        account_id: token.accountId,
        token_hash: token.tokenHash,
        requested_by: token.requestedBy,
        created_at: token.createdAt,
        expires_at: token.expiresAt,
      });
    },
    async findByHash(tokenHash) {
      const row = await knex('password_reset_tokens').where({ token_hash: tokenHash }).first('id', 'account_id', 'expires_at', 'used_at');
      if (!row) return undefined;
      return { id: row.id, accountId: row.account_id, expiresAt: new Date(row.expires_at), usedAt: row.used_at ? new Date(row.used_at) : null };
    },
    async use(id, at) {
      return affected(await knex('password_reset_tokens').where({ id }).whereNull('used_at').update({ used_at: at })) === 1;
    },
    async remove(id) {
      await knex('password_reset_tokens').where({ id }).del();
    },
    async invalidateAll(accountId, at) {
      await knex('password_reset_tokens').where({ account_id: accountId }).whereNull('used_at').update({ used_at: at });
    },
    async invalidateOthers(accountId, keepId, at) {
      await knex('password_reset_tokens').where({ account_id: accountId }).whereNot({ id: keepId }).whereNull('used_at').update({ used_at: at });
    },
    async countSince(accountId, since) {
      const [row] = await knex('password_reset_tokens').where({ account_id: accountId }).andWhere('created_at', '>', since).count({ n: '*' });
      return Number(row.n);
    },
  };
}
