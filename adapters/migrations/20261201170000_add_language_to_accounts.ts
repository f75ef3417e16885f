// The language a person reads Gatehouse in (a catalog tag, or null until they pick or sign in with
// one): emails someone else causes (an administrator, a stranger's guesses) are written in it.
import type { Knex } from 'knex';

export const name = '20261201170000_add_language_to_accounts';
export async function up(knex: Knex) {
  await knex.schema.alterTable('accounts', (t) => {
    t.text('language').nullable();
  });
}
export async function down(knex: Knex) {
  await knex.schema.alterTable('accounts', (t) => t.dropColumn('language'));
}
