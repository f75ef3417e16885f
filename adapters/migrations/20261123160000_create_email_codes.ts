// One-time email codes (verify the account's address, or confirm a new one). Only an HMAC of the
// code is kept; at most one pending code per account and purpose, so a new code replaces the old.
import type { Knex } from 'knex';

export const name = '20261123160000_create_email_codes';
export async function up(knex: Knex) {
  await knex.schema.createTable('email_codes', (t) => {
    t.uuid('id').primary();
    t.uuid('account_id').notNullable().references('id').inTable('accounts').onDelete('CASCADE');
    t.string('purpose', 32).notNullable();
    t.string('email', 254).notNullable();
    t.string('code_hash', 128).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('consumed_at', { useTz: true }).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('create unique index email_codes_one_pending on email_codes (account_id, purpose) where consumed_at is null');
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('email_codes');
}
