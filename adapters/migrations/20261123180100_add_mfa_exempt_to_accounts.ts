// Administrators may waive MFA for service accounts only; the flag lives on the account.
import type { Knex } from 'knex';

export const name = '20261123180100_add_mfa_exempt_to_accounts';
export async function up(knex: Knex) {
  await knex.schema.alterTable('accounts', (t) => {
    t.boolean('mfa_exempt').notNullable().defaultTo(false);
  });
}
export async function down(knex: Knex) {
  await knex.schema.alterTable('accounts', (t) => t.dropColumn('mfa_exempt'));
}
