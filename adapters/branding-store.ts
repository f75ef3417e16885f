// organization_branding rows (knex): one per root organization that set any branding.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Branding, BrandingStore } from '../accounts/branding.ts';
import type { LogoType } from '../accounts/branding-rules.ts';
import { isUuid } from './account-store.ts';
import { compileQuery } from './compiled-query.ts';

const none = (organizationId: string): Branding => ({ organizationId, displayName: null, accentColor: null, logo: null, updatedAt: null });

const BRANDING_COLUMNS = ['display_name', 'accent_color', 'logo_type', 'logo_sha256', 'updated_at'];
type BrandingRow = { display_name: string | null; accent_color: string | null; logo_type: string | null; logo_sha256: string; logo_size: number | string; updated_at: Date | string };
const toBranding = (organizationId: string, row: BrandingRow): Branding => ({
  organizationId,
  displayName: row.display_name,
  accentColor: row.accent_color,
  logo: row.logo_type ? { type: row.logo_type as LogoType, sha256: row.logo_sha256, size: Number(row.logo_size) } : null,
  updatedAt: new Date(row.updated_at),
});

// The root of the account's first membership, its name and its branding in one round trip (pages of
// a sign-in in progress ask on every request, so it is compiled once).
const brandingOfAccount = compileQuery<BrandingRow & { root_id: string; root_name: string; organization_id: string | null }>((db, param) =>
  db
    .from(
      db('memberships as m')
        .join('organizations as o', 'o.id', 'm.organization_id')
        .where('m.account_id', param(0))
        .orderBy('m.created_at')
        .limit(1)
        .select(db.raw('coalesce(o.root_id, o.id) as root_id'))
        .as('f'),
    )
    .join('organizations as r', 'r.id', 'f.root_id')
    .leftJoin('organization_branding as b', 'b.organization_id', 'r.id')
    .first('r.id as root_id', 'r.name as root_name', 'b.organization_id', ...BRANDING_COLUMNS.map((c) => `b.${c}`), db.raw('octet_length(b.logo) as logo_size')),
);

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
        .first(...BRANDING_COLUMNS, db.raw('octet_length(logo) as logo_size'));
      return row ? toBranding(organizationId, row) : none(organizationId);
    },
    async ofAccount(accountId) {
      if (!isUuid(accountId)) return undefined;
      const [row] = await brandingOfAccount(db, [accountId]);
      if (!row) return undefined;
      return { rootName: row.root_name, branding: row.organization_id ? toBranding(row.root_id, row) : none(row.root_id) };
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
