// SQL for MFA exemptions: the accounts.mfa_exempt flag, only ever true on service accounts.
import type { Knex } from 'knex';
import type { MfaExemptionStore } from '../accounts/mfa-exemptions.ts';

export function createMfaExemptionStore(knex: Knex): MfaExemptionStore {
  return {
    async list(rootId) {
      return knex('accounts as a')
        .where({ 'a.mfa_exempt': true, 'a.service_account': true })
        .whereExists((sub) =>
          sub.select(knex.raw('1')).from('memberships as m').join('organizations as o', 'o.id', 'm.organization_id')
            .whereRaw('m.account_id = a.id').andWhere((w) => w.where('o.id', rootId).orWhere('o.root_id', rootId)),
        )
        .orderByRaw('lower(a.username)')
        .select('a.id', 'a.username', 'a.email');
    },
    async set(accountId, exempt) {
      await knex('accounts').where({ id: accountId }).update({ mfa_exempt: exempt, updated_at: knex.fn.now() });
    },
    async hasPassword(accountId) {
      return (await knex('credentials').where({ account_id: accountId, type: 'password' }).first('id')) !== undefined;
    },
  };
}
