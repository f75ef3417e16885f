// Provider signing keys, private parts encrypted at rest (AES-256-GCM under the KEK).
import type { Knex } from 'knex';

export const name = '20261123150800_create_signing_keys';
export async function up(knex: Knex) {
  await knex.schema.createTable('signing_keys', (t) => {
    t.string('kid', 64).primary();
    t.string('alg', 16).notNullable();
    t.text('encrypted_jwk').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('retired_at', { useTz: true }).nullable();
  });
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('signing_keys');
}
