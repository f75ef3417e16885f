// A person's profile at an external IdP, linked to the Gatehouse account it signs in to. The identity
// is (issuer, sub) as the IdP registration saw it, never the email; the unique key makes one upstream
// identity sign in to exactly one account.
import type { Knex } from 'knex';

export const name = '20261123190300_create_federated_identities';
export async function up(knex: Knex) {
  await knex.schema.createTable('federated_identities', (t) => {
    t.uuid('id').primary();
    t.uuid('idp_id').notNullable().references('id').inTable('identity_providers').onDelete('CASCADE');
    t.string('issuer', 500).notNullable();
    t.string('subject', 255).notNullable();
    t.uuid('account_id').notNullable().references('id').inTable('accounts').onDelete('CASCADE');
    t.string('email', 254).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_used_at', { useTz: true }).nullable();
    t.unique(['idp_id', 'issuer', 'subject']);
    t.index(['account_id']);
  });
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('federated_identities');
}
