// Connected apps are listed per organization on the admin pages and API.
import type { Knex } from 'knex';

export const name = '20261123170500_index_oidc_clients_by_organization';
export async function up(knex: Knex) {
  await knex.schema.alterTable('oidc_clients', (t) => {
    t.index(['organization_id']);
  });
}
export async function down(knex: Knex) {
  await knex.schema.alterTable('oidc_clients', (t) => {
    t.dropIndex(['organization_id']);
  });
}
