// SQL for the devices each account signed in from (account_devices): fingerprints only.
import type { Knex } from 'knex';
import type { DeviceStore } from '../accounts/session-sign-ins.ts';

export function createKnexDeviceStore(knex: Knex): DeviceStore {
  return {
    async remember(accountId, fingerprint) {
      const inserted = await knex('account_devices')
        .insert({ account_id: accountId, fingerprint })
        .onConflict(['account_id', 'fingerprint'])
        .ignore()
        .returning('fingerprint');
      if (inserted.length === 0) {
        await knex('account_devices').where({ account_id: accountId, fingerprint }).update({ last_seen_at: knex.fn.now() });
      }
      const [{ count }] = await knex('account_devices').where({ account_id: accountId }).whereNot({ fingerprint }).count({ count: '*' });
      return { known: inserted.length === 0, others: Number(count) };
    },
  };
}
