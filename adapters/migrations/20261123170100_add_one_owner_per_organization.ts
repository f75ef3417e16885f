// Exactly one owner per root organization: the database refuses a second owner row, whatever the code does.
import type { Knex } from 'knex';

export const name = '20261123170100_add_one_owner_per_organization';
export async function up(knex: Knex) {
  await knex.raw(`create unique index memberships_one_owner on memberships (organization_id) where role = 'owner'`);
}
export async function down(knex: Knex) {
  await knex.raw('drop index memberships_one_owner');
}
