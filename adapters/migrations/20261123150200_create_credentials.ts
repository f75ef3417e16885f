// One row per credential an account holds ({type, config}); password first, MFA methods later.
import type { Knex } from 'knex';

export const name = '20261123150200_create_credentials';
export async function up(knex: Knex) {
  await knex.schema.createTable('credentials', (t) => {
    t.uuid('id').primary();
    t.uuid('account_id').notNullable().references('id').inTable('accounts').onDelete('CASCADE');
    t.string('type', 32).notNullable();
    t.jsonb('config').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['account_id', 'type']);
  });
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('credentials');
}
