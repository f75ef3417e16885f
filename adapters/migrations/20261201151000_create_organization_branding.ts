// An organization's branding: display name, accent colour and logo, shown on the pages where the
// organization is known. The logo lives in the database (bytes + detected type + digest for ETags) so
// every instance serves it without shared files. No row means Gatehouse's own look.
import type { Knex } from 'knex';

export const name = '20261201151000_create_organization_branding';
export async function up(knex: Knex) {
  await knex.schema.createTable('organization_branding', (t) => {
    t.uuid('organization_id').primary().references('id').inTable('organizations').onDelete('CASCADE');
    t.text('display_name').nullable();
    t.text('accent_color').nullable();
    t.binary('logo').nullable();
    t.text('logo_type').nullable();
    t.text('logo_sha256').nullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}
export async function down(knex: Knex) {
  await knex.schema.dropTable('organization_branding');
}
