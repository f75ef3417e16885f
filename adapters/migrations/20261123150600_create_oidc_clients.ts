// Relying parties and connected apps, registered by the CLI/API (not a config file).
import type { Knex } from 'knex';

export const name = '20261123150600_create_oidc_clients';
export async function up(knex: Knex) {
  await knex.schema.createTable('oidc_clients', (t) => {
    t.string('client_id', 200).primary();
    t.jsonb('metadata').notNullable();
    t.uuid('organization_id').nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('oidc_clients');
}
