// Business groups are organizations with a parent; root_id names the tree a group belongs to, so
// "everything in organization R" is one indexed lookup instead of a recursive query (null on roots).
import type { Knex } from 'knex';

export const name = '20261123170000_add_root_id_to_organizations';
export async function up(knex: Knex) {
  await knex.schema.alterTable('organizations', (t) => {
    t.uuid('root_id').nullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.index(['root_id']);
  });
}
export async function down(knex: Knex) {
  await knex.schema.alterTable('organizations', (t) => {
    t.dropColumn('root_id');
  });
}
