// External OpenID Connect identity providers an organization registers for single sign-on (issue 6).
// The client secret is stored sealed (AES-256-GCM under the KEK, adapters/secret-box.ts), never in clear.
import type { Knex } from 'knex';

export const name = '20261123190000_create_identity_providers';
export async function up(knex: Knex) {
  await knex.schema.createTable('identity_providers', (t) => {
    t.uuid('id').primary();
    t.uuid('organization_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.string('name', 100).notNullable();
    t.string('issuer', 500).notNullable();
    t.string('client_id', 300).notNullable();
    t.text('client_secret_sealed').nullable();
    t.string('scopes', 500).notNullable();
    t.jsonb('claim_mapping').notNullable();
    t.boolean('show_button').notNullable().defaultTo(false);
    t.boolean('provision_users').notNullable().defaultTo(false);
    t.boolean('enabled').notNullable().defaultTo(true);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['organization_id']);
  });
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('identity_providers');
}
