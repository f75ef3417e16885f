// Root organizations; parent_id is there so business groups can nest under a root later.
import type { Knex } from 'knex';

export const name = '20261123150000_create_organizations';
export async function up(knex: Knex) {
  await knex.schema.createTable('organizations', (t) => {
    t.uuid('id').primary();
    t.string('name', 200).notNullable();
    t.uuid('parent_id').nullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['parent_id']);
  });
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('organizations');
}
