// Consent a person gave an application, remembered across sessions until they remove it
// ("Apps with access"): the scopes granted and when. Deleting the account or the application
// deletes its consents.
import type { Knex } from 'knex';

export const name = '20261201100100_create_application_consents';
export async function up(knex: Knex) {
  await knex.schema.createTable('application_consents', (t) => {
    t.uuid('account_id').notNullable().references('id').inTable('accounts').onDelete('CASCADE');
    t.string('client_id', 200).notNullable().references('client_id').inTable('oidc_clients').onDelete('CASCADE');
    t.text('scopes').notNullable();
    t.jsonb('claims').notNullable().defaultTo('[]');
    t.timestamp('granted_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['account_id', 'client_id']);
  });
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('application_consents');
}
