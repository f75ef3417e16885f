// SQL for the devices each account signed in from (account_devices): fingerprints only.
import type { Knex } from 'knex';
import type { DeviceStore } from '../accounts/session-sign-ins.ts';
import { compileQuery } from './compiled-query.ts';

// One statement at every sign-in: insert the device if new, else touch it, and count the
// account's other devices (the snapshot before the insert; the fingerprint is excluded anyway).
const rememberDevice = compileQuery<{ added: number | string; others: number | string }>((knex, param) =>
  knex.raw(
    `with added as (
           insert into account_devices (account_id, fingerprint) values (?, ?)
           on conflict (account_id, fingerprint) do nothing
           returning fingerprint
         ), touched as (
           update account_devices set last_seen_at = now()
           where account_id = ? and fingerprint = ? and not exists (select 1 from added)
         )
         select (select count(*) from added) as added,
                (select count(*) from account_devices where account_id = ? and fingerprint <> ?) as others`,
    [param(0), param(1), param(0), param(1), param(0), param(1)],
  ),
);

export function createKnexDeviceStore(knex: Knex): DeviceStore {
  return {
    async remember(accountId, fingerprint) {
      const rows = await rememberDevice(knex, [accountId, fingerprint]);
      return { known: Number(rows[0].added) === 0, others: Number(rows[0].others) };
    },
  };
}
