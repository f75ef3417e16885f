// Which grants belong to which application: oidc-provider keys its state by id only, so deleting an
// application could not find its grants, tokens and sessions' entries without this index. Rows are
// written when the provider saves a Grant (adapters/client-grant-index.ts).
import type { Knex } from 'knex';

export const name = '20261201100000_create_client_grants';
export async function up(knex: Knex) {
  await knex.schema.createTable('client_grants', (t) => {
    t.string('grant_id', 128).primary();
    t.string('client_id', 200).notNullable();
    t.string('account_id', 128).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['client_id']);
    t.index(['account_id', 'client_id']);
  });
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('client_grants');
}
