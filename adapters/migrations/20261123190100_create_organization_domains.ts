// Domains an organization signs in with ("Use custom domain"). The primary key makes each domain
// unique across Gatehouse: one domain names one organization.
import type { Knex } from 'knex';

export const name = '20261123190100_create_organization_domains';
export async function up(knex: Knex) {
  await knex.schema.createTable('organization_domains', (t) => {
    t.string('domain', 253).primary();
    t.uuid('organization_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['organization_id']);
  });
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('organization_domains');
}
