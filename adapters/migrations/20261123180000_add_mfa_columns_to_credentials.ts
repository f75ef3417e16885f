// MFA methods are credentials too; the method list shows a name and when each was last used.
import type { Knex } from 'knex';

export const name = '20261123180000_add_mfa_columns_to_credentials';
export async function up(knex: Knex) {
  await knex.schema.alterTable('credentials', (t) => {
    t.string('name', 100).nullable();
    t.timestamp('last_used_at', { useTz: true }).nullable();
  });
}
export async function down(knex: Knex) {
  await knex.schema.alterTable('credentials', (t) => {
    t.dropColumn('name');
    t.dropColumn('last_used_at');
  });
}
