// oidc-provider state (sessions, interactions, grants, codes, tokens) for the embedded default.
import type { Knex } from 'knex';

export const name = '20261123150700_create_oidc_payloads';
export async function up(knex: Knex) {
  await knex.schema.createTable('oidc_payloads', (t) => {
    t.string('model', 64).notNullable();
    t.string('id', 256).notNullable();
    t.jsonb('payload').notNullable();
    t.string('grant_id', 256).nullable();
    t.string('uid', 256).nullable();
    t.string('user_code', 256).nullable();
    t.timestamp('expires_at', { useTz: true }).nullable();
    t.timestamp('consumed_at', { useTz: true }).nullable();
    t.primary(['model', 'id']);
    t.index(['grant_id']);
    t.index(['uid']);
    t.index(['user_code']);
    t.index(['expires_at']);
  });
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('oidc_payloads');
}
