// Password reset links: a SHA-256 digest of a 256-bit random token (never the token), bound to one
// account, single use (used_at), expiring. Rows per account also rate-limit how many links are sent.
import type { Knex } from 'knex';

export const name = '20261123160100_create_password_reset_tokens';
export async function up(knex: Knex) {
  await knex.schema.createTable('password_reset_tokens', (t) => {
    t.uuid('id').primary();
    t.uuid('account_id').notNullable().references('id').inTable('accounts').onDelete('CASCADE');
    t.string('token_hash', 64).notNullable().unique();
    /** Who asked: the account itself (forgot form) or an administrator's account id. */
    t.string('requested_by', 200).nullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('used_at', { useTz: true }).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['account_id', 'created_at']);
  });
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('password_reset_tokens');
}
