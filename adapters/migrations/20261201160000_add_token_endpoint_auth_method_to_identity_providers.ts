// How Gatehouse authenticates to each upstream IdP's token endpoint: client_secret_basic (the
// OIDC default, and what every existing registration used), client_secret_post, or private_key_jwt
// (Gatehouse's own signing key, published at its JWKS). Some IdPs accept only one of them.
import type { Knex } from 'knex';

export const name = '20261201160000_add_token_endpoint_auth_method_to_identity_providers';
export async function up(knex: Knex) {
  await knex.schema.alterTable('identity_providers', (t) => {
    t.text('token_endpoint_auth_method').notNullable().defaultTo('client_secret_basic');
  });
}
export async function down(knex: Knex) {
  await knex.schema.alterTable('identity_providers', (t) => {
    t.dropColumn('token_endpoint_auth_method');
  });
}
