// Tamper evidence: each audit event stores the hash of the previous event of its chain (one chain per
// organization, 'global' for events without one) and its own hash; `gatehouse audit verify` checks them.
import type { Knex } from 'knex';

export const name = '20261123170300_add_hash_chain_to_audit_events';
export async function up(knex: Knex) {
  await knex.schema.alterTable('audit_events', (t) => {
    t.string('chain', 64).nullable();
    t.string('prev_hash', 64).nullable();
    t.string('hash', 64).nullable();
    t.index(['chain', 'id']);
    t.index(['target', 'occurred_at']);
  });
}
export async function down(knex: Knex) {
  await knex.schema.alterTable('audit_events', (t) => {
    t.dropIndex(['target', 'occurred_at']);
    t.dropIndex(['chain', 'id']);
    t.dropColumn('hash');
    t.dropColumn('prev_hash');
    t.dropColumn('chain');
  });
}
