// Accounts (identities). Credentials live in their own table, Kratos-style.
import type { Knex } from 'knex';

export const name = '20261123150100_create_accounts';
export async function up(knex: Knex) {
  await knex.schema.createTable('accounts', (t) => {
    t.uuid('id').primary();
    t.string('username', 100).notNullable();
    t.string('email', 254).notNullable();
    t.boolean('email_verified').notNullable().defaultTo(false);
    t.string('name', 200).nullable();
    t.string('phone_number', 32).nullable();
    t.boolean('service_account').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['email']);
  });
  // Usernames are unique across Gatehouse, case-insensitively.
  await knex.raw('create unique index accounts_username_lower_unique on accounts (lower(username))');
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('accounts');
}
