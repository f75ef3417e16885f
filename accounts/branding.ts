// An organization's branding (display name, logo, accent colour): what administrators change through
// the admin API and pages, and what pages read to look like the organization. Branding belongs to
// the root organization; a business group shows its root's.
import { assertCan, type Principal } from './access.ts';
import type { AuditAction, AuditLog } from './audit.ts';
import { accentViolations, displayNameViolations, logoViolations, sniffLogoType, type LogoType } from './branding-rules.ts';
import { ValidationError } from './errors.ts';
import type { OrganizationStore } from './organization.ts';

export type Branding = {
  organizationId: string;
  /** Shown instead of the organization's name; null → its name. */
  displayName: string | null;
  /** #rrggbb, lower case; null → Gatehouse's colours. */
  accentColor: string | null;
  logo: { type: LogoType; sha256: string; size: number } | null;
  updatedAt: Date | null;
};

export type StoredLogo = { bytes: Buffer; type: LogoType; sha256: string };

export type BrandingStore = {
  get(organizationId: string): Promise<Branding>;
  /** The root organization of the account's first membership (its name and branding), undefined without one. */
  ofAccount(accountId: string): Promise<{ rootName: string; branding: Branding } | undefined>;
  getLogo(organizationId: string): Promise<StoredLogo | undefined>;
  save(organizationId: string, changes: { displayName?: string | null; accentColor?: string | null }): Promise<void>;
  /** Stores the logo (its digest computed by the store), or removes it with null. */
  setLogo(organizationId: string, logo: { bytes: Buffer; type: LogoType } | null): Promise<void>;
};

/** An organization's branding as a page shows it: its name (display name or real name) and what it set. */
export type ResolvedBrand = Branding & { name: string };

export const isBranded = (b: Branding) => b.displayName !== null || b.accentColor !== null || b.logo !== null;

export function createBrandingService(deps: { store: BrandingStore; orgs: OrganizationStore; audit: AuditLog }) {
  const { store, orgs, audit } = deps;
  const record = (p: Principal, action: AuditAction, details: Record<string, unknown>) =>
    audit.record({ actor: p.id, action, target: p.organizationId, organizationId: p.organizationId, outcome: 'success', ip: p.ip, userAgent: p.userAgent, details });

  return {
    async get(p: Principal): Promise<Branding> {
      assertCan(p, 'organization:read');
      return store.get(p.organizationId);
    },

    /** Changes the fields present; an empty string or null clears one (back to the default). */
    async update(p: Principal, input: { displayName?: string | null; accentColor?: string | null }): Promise<Branding> {
      assertCan(p, 'organization:manage');
      const changes: { displayName?: string | null; accentColor?: string | null } = {};
      if (input.displayName !== undefined) changes.displayName = input.displayName?.trim() || null;
      if (input.accentColor !== undefined) changes.accentColor = input.accentColor?.trim().toLowerCase() || null;
      const violations = [
        ...(changes.displayName !== undefined ? displayNameViolations(changes.displayName) : []),
        ...(changes.accentColor !== undefined ? accentViolations(changes.accentColor) : []),
      ];
      if (violations.length) throw new ValidationError(violations);
      await store.save(p.organizationId, changes);
      await record(p, 'organization.branding_update', changes);
      return store.get(p.organizationId);
    },

    async setLogo(p: Principal, bytes: Buffer, declaredType?: string): Promise<Branding> {
      assertCan(p, 'organization:manage');
      const violations = logoViolations(bytes, declaredType);
      if (violations.length) throw new ValidationError(violations);
      const type = sniffLogoType(bytes)!;
      await store.setLogo(p.organizationId, { bytes, type });
      await record(p, 'organization.logo_set', { type, size: bytes.length });
      return store.get(p.organizationId);
    },

    async removeLogo(p: Principal): Promise<Branding> {
      assertCan(p, 'organization:manage');
      await store.setLogo(p.organizationId, null);
      await record(p, 'organization.logo_remove', {});
      return store.get(p.organizationId);
    },

    /** The brand of any node (root or business group) for pages; undefined when the root set none. */
    async brandOf(nodeId: string): Promise<ResolvedBrand | undefined> {
      const node = await orgs.findNode(nodeId);
      if (!node) return undefined;
      const root = node.rootId === node.id ? node : await orgs.findNode(node.rootId);
      if (!root) return undefined;
      const branding = await store.get(root.id);
      if (!isBranded(branding)) return undefined;
      return { ...branding, name: branding.displayName ?? root.name };
    },

    /** The brand of an account's organization (profile and admin pages). */
    async brandOfAccount(accountId: string): Promise<ResolvedBrand | undefined> {
      // As brandOf(first membership's root), in one statement.
      const found = await store.ofAccount(accountId);
      if (!found || !isBranded(found.branding)) return undefined;
      return { ...found.branding, name: found.branding.displayName ?? found.rootName };
    },

    logo: (organizationId: string) => store.getLogo(organizationId),
    branding: (organizationId: string) => store.get(organizationId),
  };
}

export type BrandingService = ReturnType<typeof createBrandingService>;
