// Append-only log of security-relevant events (who, what, target, org, when, where, outcome).
import type { Knex } from 'knex';

export const name = '20261123150500_create_audit_events';
export async function up(knex: Knex) {
  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id').primary();
    t.timestamp('occurred_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.string('actor', 200).nullable();
    t.string('action', 64).notNullable();
    t.string('target', 200).nullable();
    t.uuid('organization_id').nullable();
    t.string('ip', 64).nullable();
    t.string('user_agent', 400).nullable();
    t.string('outcome', 16).notNullable();
    t.jsonb('details').nullable();
    t.index(['organization_id', 'occurred_at']);
    t.index(['actor', 'occurred_at']);
  });
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('audit_events');
}
