// Spent captcha challenges: ALTCHA challenges are stateless and signed, so single use needs a list
// of the ones already redeemed, kept until they would have expired anyway.
import type { Knex } from 'knex';

export const name = '20261123160300_create_captcha_spent';
export async function up(knex: Knex) {
  await knex.schema.createTable('captcha_spent', (t) => {
    t.string('challenge_hash', 64).primary();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.index(['expires_at']);
  });
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('captcha_spent');
}
