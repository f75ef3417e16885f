// Unique lookup keys for credentials (a password credential's lower-cased username, etc.).
import type { Knex } from 'knex';

export const name = '20261123150300_create_credential_identifiers';
export async function up(knex: Knex) {
  await knex.schema.createTable('credential_identifiers', (t) => {
    t.string('type', 32).notNullable();
    t.string('identifier', 300).notNullable();
    t.uuid('credential_id').notNullable().references('id').inTable('credentials').onDelete('CASCADE');
    t.primary(['type', 'identifier']);
  });
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('credential_identifiers');
}
