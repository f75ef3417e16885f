// A link set holds at most one profile per IdP (reference: "does not support linking multiple profiles
// that use the same IdP"): the database refuses a second identity of one IdP on one account.
import type { Knex } from 'knex';

export const name = '20261123190400_add_one_identity_per_idp_per_account';
export async function up(knex: Knex) {
  await knex.schema.alterTable('federated_identities', (t) => {
    t.unique(['account_id', 'idp_id'], { indexName: 'federated_identities_one_per_idp' });
  });
}
export async function down(knex: Knex) {
  await knex.schema.alterTable('federated_identities', (t) => {
    t.dropUnique(['account_id', 'idp_id'], 'federated_identities_one_per_idp');
  });
}
