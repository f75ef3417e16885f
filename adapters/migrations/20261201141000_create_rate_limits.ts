// Throttle counters on the SQL store (adapters/rate-limit-store.ts): rate-limiter-flexible's
// Postgres layout (key, points, expire in ms since the epoch), so waits and lockouts survive a
// restart of the embedded server.
import type { Knex } from 'knex';

export const name = '20261201141000_create_rate_limits';
export async function up(knex: Knex) {
  await knex.schema.createTable('rate_limits', (t) => {
    t.string('key', 255).primary();
    t.integer('points').notNullable().defaultTo(0);
    t.bigInteger('expire');
    t.index(['expire']);
  });
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('rate_limits');
}
