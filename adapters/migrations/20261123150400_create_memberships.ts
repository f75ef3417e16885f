// An account's role in an organization (owner, admin, member).
import type { Knex } from 'knex';

export const name = '20261123150400_create_memberships';
export async function up(knex: Knex) {
  await knex.schema.createTable('memberships', (t) => {
    t.uuid('account_id').notNullable().references('id').inTable('accounts').onDelete('CASCADE');
    t.uuid('organization_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.string('role', 16).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['account_id', 'organization_id', 'role']);
    t.index(['organization_id']);
  });
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('memberships');
}
