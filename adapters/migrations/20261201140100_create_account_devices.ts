// Devices (browser family + system family, never the raw User-Agent) each account has signed in
// from, so a sign-in from one never seen before can be emailed ("New sign-in to your account").
import type { Knex } from 'knex';

export const name = '20261201140100_create_account_devices';
export async function up(knex: Knex) {
  await knex.schema.createTable('account_devices', (t) => {
    t.uuid('account_id').notNullable().references('id').inTable('accounts').onDelete('CASCADE');
    t.string('fingerprint', 100).notNullable();
    t.timestamp('first_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['account_id', 'fingerprint']);
  });
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('account_devices');
}
