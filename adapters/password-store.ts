// knex implementation of PasswordStore (accounts/password-update.ts): the password credential's
// hash and history live in credentials.config ({ hash, history }).
import type { Knex } from 'knex';
import type { PasswordStore } from '../accounts/password-update.ts';
import { isUuid } from './account-store.ts';

export function createKnexPasswordStore(knex: Knex): PasswordStore {
  return {
    async findByAccount(accountId) {
      if (!isUuid(accountId)) return undefined;
      const row = await knex('credentials as c')
        .join('accounts as a', 'a.id', 'c.account_id')
        .where({ 'c.account_id': accountId, 'c.type': 'password' })
        .first('c.id', 'c.account_id', 'c.config', knex.raw('(a.service_account and a.mfa_exempt) as single_factor'));
      if (!row) return undefined;
      const config = typeof row.config === 'string' ? JSON.parse(row.config) : row.config;
      const history = Array.isArray(config.history) ? config.history.filter((h: unknown): h is string => typeof h === 'string') : [];
      return { credentialId: row.id, accountId: row.account_id, hash: String(config.hash), history, singleFactor: row.single_factor === true };
    },
    async replace(credentialId, expectedHash, hash, history) {
      // Compare-and-set on the old hash: of two concurrent changes, only the first wins.
      const n = await knex('credentials')
        .where({ id: credentialId, type: 'password' })
        .andWhereRaw(`config->>'hash' = ?`, [expectedHash])
        .update({
          config: knex.raw(`jsonb_set(jsonb_set(config, '{hash}', to_jsonb(?::text)), '{history}', ?::jsonb)`, [hash, JSON.stringify(history)]),
          updated_at: knex.fn.now(),
        });
      return (typeof n === 'number' ? n : Number((n as { rowCount?: number })?.rowCount ?? 0)) === 1;
    },
  };
}
