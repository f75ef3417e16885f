// organization_branding rows (knex): one per root organization that set any branding.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Branding, BrandingStore } from '../accounts/branding.ts';
import type { LogoType } from '../accounts/branding-rules.ts';
import { isUuid } from './account-store.ts';

const none = (organizationId: string): Branding => ({ organizationId, displayName: null, accentColor: null, logo: null, updatedAt: null });

export function createKnexBrandingStore(db: Knex): BrandingStore {
  async function upsert(organizationId: string, update: Record<string, unknown>) {
    await db('organization_branding')
      .insert({ organization_id: organizationId, ...update, updated_at: db.fn.now() })
      .onConflict('organization_id')
      .merge({ ...update, updated_at: db.fn.now() });
  }
  return {
    async get(organizationId) {
      if (!isUuid(organizationId)) return none(organizationId);
      // The logo's bytes stay in the database here: pages need only its type, digest and size.
      const row = await db('organization_branding')
        .where({ organization_id: organizationId })
        .first('display_name', 'accent_color', 'logo_type', 'logo_sha256', 'updated_at', db.raw('octet_length(logo) as logo_size'));
      if (!row) return none(organizationId);
      return {
        organizationId,
        displayName: row.display_name,
        accentColor: row.accent_color,
        logo: row.logo_type ? { type: row.logo_type as LogoType, sha256: row.logo_sha256, size: Number(row.logo_size) } : null,
        updatedAt: new Date(row.updated_at),
      };
    },
    async getLogo(organizationId) {
      if (!isUuid(organizationId)) return undefined;
      const row = await db('organization_branding').where({ organization_id: organizationId }).whereNotNull('logo').first('logo', 'logo_type', 'logo_sha256');
      return row ? { bytes: Buffer.from(row.logo), type: row.logo_type as LogoType, sha256: row.logo_sha256 } : undefined;
    },
    async save(organizationId, changes) {
      const update: Record<string, unknown> = {};
      if (changes.displayName !== undefined) update.display_name = changes.displayName;
      if (changes.accentColor !== undefined) update.accent_color = changes.accentColor;
      if (Object.keys(update).length) await upsert(organizationId, update);
    },
    async setLogo(organizationId, logo) {
      await upsert(organizationId, logo
        ? { logo: logo.bytes, logo_type: logo.type, logo_sha256: createHash('sha256').update(logo.bytes).digest('hex') }
        : { logo: null, logo_type: null, logo_sha256: null });
    },
  };
}
