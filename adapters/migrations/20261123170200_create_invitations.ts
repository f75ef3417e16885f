// Invitations to join an organization (reference: "Join an Existing Organization"): an emailed link
// valid for a week. Only a digest of the link's token is stored, so a database leak opens nothing.
import type { Knex } from 'knex';

export const name = '20261123170200_create_invitations';
export async function up(knex: Knex) {
  await knex.schema.createTable('invitations', (t) => {
    t.uuid('id').primary();
    t.string('token_hash', 100).notNullable().unique();
    t.uuid('organization_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.uuid('business_group_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.string('email', 254).notNullable();
    t.string('role', 16).notNullable();
    t.string('invited_by', 200).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('sent_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('accepted_at', { useTz: true }).nullable();
    t.uuid('accepted_by').nullable();
    t.timestamp('revoked_at', { useTz: true }).nullable();
    t.index(['organization_id', 'created_at']);
  });
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('invitations');
}
