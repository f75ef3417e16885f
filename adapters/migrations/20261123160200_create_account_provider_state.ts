// Which provider sessions and grants belong to an account. oidc-provider's state sits behind its
// adapter (SQL or Redis) keyed by id only; this index is what lets a password reset revoke every
// session and refresh token of one account. Rows are written when the provider saves a Session or
// Grant that names an account (adapters/account-state-index.ts).
import type { Knex } from 'knex';

export const name = '20261123160200_create_account_provider_state';
export async function up(knex: Knex) {
  await knex.schema.createTable('account_provider_state', (t) => {
    t.string('model', 16).notNullable();
    t.string('id', 128).notNullable();
    t.uuid('account_id').notNullable().references('id').inTable('accounts').onDelete('CASCADE');
    t.string('uid', 128).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['model', 'id']);
    t.index(['account_id']);
  });
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('account_provider_state');
}
