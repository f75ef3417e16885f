// Audit events are written without a lock and linked into their organization's hash chain a moment
// later by one linker at a time (adapters/audit-store.ts), so sign-ins of one organization no longer
// queue behind a row lock. `seq` is an event's position in its chain (null until linked); chain order
// is link order, which may differ from id order when writers commit out of order.
import type { Knex } from 'knex';

export const name = '20261201140000_add_chain_position_to_audit_events';
export async function up(knex: Knex) {
  await knex.schema.alterTable('audit_events', (t) => {
    t.bigInteger('seq').nullable();
  });
  // Events linked under the old scheme were linked in id order.
  await knex.raw(`
    update audit_events e set seq = n.seq
    from (select id, row_number() over (partition by chain order by id) as seq from audit_events where chain is not null) n
    where e.id = n.id`);
  await knex.raw('create unique index audit_events_chain_seq on audit_events (chain, seq)');
  await knex.raw('create index audit_events_unlinked on audit_events (id) where seq is null');
}
export async function down(knex: Knex) {
  await knex.raw('drop index if exists audit_events_unlinked');
  await knex.raw('drop index if exists audit_events_chain_seq');
  await knex.schema.alterTable('audit_events', (t) => t.dropColumn('seq'));
}
