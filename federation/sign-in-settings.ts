// An organization's sign-in settings: its domains (custom-domain sign-in), "SSO required" and "Allow
// profile linking". Administrators change them (idps:manage); linking can be turned on or off only by a
// person who administers the organization, never by a connected app (reference: "available only if an
// organization administrator has enabled it").
import { AccessDenied, assertCan, type Principal } from '../accounts/access.ts';
import type { AuditLog } from '../accounts/audit.ts';
import { DomainError, ValidationError, assertThat } from '../accounts/errors.ts';
import { MAX_DOMAINS_PER_ORGANIZATION } from '../accounts/security-constants.ts';
import { domainViolations, normalizeDomain } from './domains.ts';
import type { FederationStore, SignInSettings } from './federation-store.ts';

export type SignInSettingsChanges = { domains?: string[]; ssoRequired?: boolean; allowProfileLinking?: boolean };

export function createSignInSettings(deps: { store: FederationStore; audit: AuditLog }) {
  const { store, audit } = deps;

  return {
    async get(p: Principal): Promise<SignInSettings> {
      assertCan(p, 'idps:manage');
      return store.settings(p.organizationId);
    },

    async update(p: Principal, changes: SignInSettingsChanges): Promise<SignInSettings> {
      assertCan(p, 'idps:manage');
      const before = await store.settings(p.organizationId);
      if (changes.allowProfileLinking !== undefined && changes.allowProfileLinking !== before.allowProfileLinking && p.kind !== 'user') {
        throw new AccessDenied('access.reason.linking_admin_only');
      }
      if (changes.domains !== undefined) {
        const violations = domainViolations(changes.domains);
        if (violations.length) throw new ValidationError(violations);
        const domains = [...new Set(changes.domains.map(normalizeDomain))].sort();
        assertThat(domains.length <= MAX_DOMAINS_PER_ORGANIZATION, new DomainError('domain.limit_reached', { field: 'domains', vars: { max: MAX_DOMAINS_PER_ORGANIZATION } }));
        await store.replaceDomains(p.organizationId, domains);
      }
      if (changes.ssoRequired === true && !before.ssoRequired) {
        const enabled = (await store.listIdentityProviders(p.organizationId)).filter((i) => i.enabled);
        assertThat(enabled.length > 0, new DomainError('sso.no_identity_provider', { status: 409 }));
      }
      await store.saveSettings(p.organizationId, { ssoRequired: changes.ssoRequired, allowProfileLinking: changes.allowProfileLinking });
      const after = await store.settings(p.organizationId);
      await audit.record({
        actor: p.id,
        action: 'organization.sign_in_settings',
        target: p.organizationId,
        organizationId: p.organizationId,
        outcome: 'success',
        ip: p.ip,
        userAgent: p.userAgent,
        details: {
          ...(changes.domains !== undefined ? { domains: after.domains } : {}),
          ...(changes.ssoRequired !== undefined ? { ssoRequired: after.ssoRequired } : {}),
          ...(changes.allowProfileLinking !== undefined ? { allowProfileLinking: after.allowProfileLinking } : {}),
        },
      });
      return after;
    },
  };
}

export type SignInSettingsService = ReturnType<typeof createSignInSettings>;
