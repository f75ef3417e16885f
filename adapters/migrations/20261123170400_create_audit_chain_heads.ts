// One row per audit chain holding its last event: writers lock it (SELECT … FOR UPDATE) so events of
// one organization are appended one at a time, and verify can tell when the newest events were cut off.
import type { Knex } from 'knex';

export const name = '20261123170400_create_audit_chain_heads';
export async function up(knex: Knex) {
  await knex.schema.createTable('audit_chain_heads', (t) => {
    t.string('chain', 64).primary();
    t.bigInteger('last_id').nullable();
    t.string('last_hash', 64).nullable();
    t.bigInteger('length').notNullable().defaultTo(0);
  });
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('audit_chain_heads');
}
