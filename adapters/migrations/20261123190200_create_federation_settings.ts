// Per-organization sign-in settings: "SSO required" (local passwords refused for members) and
// "Allow profile linking" (off unless an administrator turns it on). No row means both off.
import type { Knex } from 'knex';

export const name = '20261123190200_create_federation_settings';
export async function up(knex: Knex) {
  await knex.schema.createTable('federation_settings', (t) => {
    t.uuid('organization_id').primary().references('id').inTable('organizations').onDelete('CASCADE');
    t.boolean('sso_required').notNullable().defaultTo(false);
    t.boolean('allow_profile_linking').notNullable().defaultTo(false);
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('federation_settings');
}
