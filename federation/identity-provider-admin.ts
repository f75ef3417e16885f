// Administrators register their organization's external OIDC IdPs (the admin API and the Identity
// Providers page both call this). Every call checks `idps:manage` in the caller's own organization;
// another organization's IdP does not exist here. The client secret is sealed before it is stored and
// never leaves this module again.
import { assertCan, notFound, type Principal } from '../accounts/access.ts';
import type { AuditLog, AuditAction } from '../accounts/audit.ts';
import { DomainError, ValidationError, assertThat } from '../accounts/errors.ts';
import { MAX_IDENTITY_PROVIDERS_PER_ORGANIZATION } from '../accounts/security-constants.ts';
import { testConnection, type ConnectionReport } from './connection-test.ts';
import type { FederationStore, NewIdentityProviderRow } from './federation-store.ts';
import {
  DEFAULT_CLAIM_MAPPING,
  DEFAULT_SCOPES,
  DEFAULT_TOKEN_ENDPOINT_AUTH_METHOD,
  definedOnly,
  identityProviderViolations,
  normalizeIssuer,
  type IdentityProvider,
  type IdentityProviderInput,
  type StoredIdentityProvider,
  type TokenEndpointAuthMethod,
} from './identity-provider.ts';
import type { Sealer } from './upstream-client.ts';

/** Strips the sealed secret: what the API and pages may show. */
export function publicView(idp: StoredIdentityProvider): IdentityProvider {
  const { clientSecretSealed: _sealed, ...rest } = idp;
  return rest;
}

export function createIdentityProviderAdmin(deps: {
  store: FederationStore;
  box: Sealer;
  audit: AuditLog;
  allowHttpIssuers: boolean;
  /** The redirect URI to register at IdPs (shown by "Test connection"). */
  redirectUri: string;
  /** Called after a change, so cached discovery of that IdP is dropped. */
  onChange?: (idpId: string) => void;
}) {
  const { store, audit } = deps;
  const record = (p: Principal, action: AuditAction, target: string | null, outcome: 'success' | 'failure', details?: Record<string, unknown>) =>
    audit.record({ actor: p.id, action, target, organizationId: p.organizationId, outcome, ip: p.ip, userAgent: p.userAgent, details });

  async function own(p: Principal, id: string): Promise<StoredIdentityProvider> {
    assertCan(p, 'idps:manage');
    const idp = await store.findIdentityProvider(id);
    if (!idp || idp.organizationId !== p.organizationId) throw notFound('identity_provider');
    return idp;
  }

  function validate(input: IdentityProviderInput) {
    const violations = identityProviderViolations(input, { allowHttpIssuers: deps.allowHttpIssuers });
    if (violations.length) throw new ValidationError(violations);
  }

  return {
    async list(p: Principal): Promise<IdentityProvider[]> {
      assertCan(p, 'idps:manage');
      return (await store.listIdentityProviders(p.organizationId)).map(publicView);
    },

    async get(p: Principal, id: string): Promise<IdentityProvider> {
      return publicView(await own(p, id));
    },

    async create(p: Principal, input: IdentityProviderInput): Promise<IdentityProvider> {
      assertCan(p, 'idps:manage');
      validate(input);
      const existing = await store.listIdentityProviders(p.organizationId);
      assertThat(existing.length < MAX_IDENTITY_PROVIDERS_PER_ORGANIZATION, new DomainError('idp.limit_reached', { status: 409, vars: { max: MAX_IDENTITY_PROVIDERS_PER_ORGANIZATION } }));
      const row: NewIdentityProviderRow = {
        organizationId: p.organizationId,
        name: input.name.trim(),
        issuer: normalizeIssuer(input.issuer)!,
        clientId: input.clientId.trim(),
        clientSecretSealed: input.clientSecret ? deps.box.seal(input.clientSecret) : null,
        scopes: input.scopes ?? DEFAULT_SCOPES,
        claimMapping: { ...DEFAULT_CLAIM_MAPPING, ...definedOnly(input.claimMapping ?? {}) },
        tokenEndpointAuthMethod: (input.tokenEndpointAuthMethod as TokenEndpointAuthMethod | undefined) ?? DEFAULT_TOKEN_ENDPOINT_AUTH_METHOD,
        showButton: input.showButton ?? false,
        provisionUsers: input.provisionUsers ?? false,
        enabled: input.enabled ?? true,
      };
      const created = await store.createIdentityProvider(row);
      await record(p, 'idp.create', created.id, 'success', { name: created.name, issuer: created.issuer });
      return publicView(created);
    },

    /** Changes what is given; `clientSecret` replaces the secret ('' removes it), absent keeps it. */
    async update(p: Principal, id: string, input: Partial<IdentityProviderInput>): Promise<IdentityProvider> {
      const current = await own(p, id);
      const merged: IdentityProviderInput = {
        name: input.name ?? current.name,
        issuer: input.issuer ?? current.issuer,
        clientId: input.clientId ?? current.clientId,
        clientSecret: input.clientSecret,
        scopes: input.scopes ?? current.scopes,
        claimMapping: { ...current.claimMapping, ...definedOnly(input.claimMapping ?? {}) },
        tokenEndpointAuthMethod: input.tokenEndpointAuthMethod ?? current.tokenEndpointAuthMethod,
      };
      validate(merged);
      const changes: Partial<NewIdentityProviderRow> = {
        name: merged.name.trim(),
        issuer: normalizeIssuer(merged.issuer)!,
        clientId: merged.clientId.trim(),
        scopes: merged.scopes,
        claimMapping: { ...DEFAULT_CLAIM_MAPPING, ...merged.claimMapping },
        tokenEndpointAuthMethod: merged.tokenEndpointAuthMethod as TokenEndpointAuthMethod,
        ...(input.showButton !== undefined ? { showButton: input.showButton } : {}),
        ...(input.provisionUsers !== undefined ? { provisionUsers: input.provisionUsers } : {}),
        ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
        ...(input.clientSecret !== undefined ? { clientSecretSealed: input.clientSecret === '' ? null : deps.box.seal(input.clientSecret) } : {}),
      };
      if (input.enabled === false && current.enabled) await assertNotLastForSso(p, id);
      await store.updateIdentityProvider(id, changes);
      deps.onChange?.(id);
      const fields = Object.keys(input).filter((k) => (input as Record<string, unknown>)[k] !== undefined);
      // The secret itself is never audited, only that it changed.
      await record(p, 'idp.update', id, 'success', { fields });
      return publicView((await store.findIdentityProvider(id))!);
    },

    async remove(p: Principal, id: string): Promise<void> {
      const idp = await own(p, id);
      if (idp.enabled) await assertNotLastForSso(p, id);
      await store.deleteIdentityProvider(id);
      deps.onChange?.(id);
      await record(p, 'idp.delete', id, 'success', { name: idp.name, issuer: idp.issuer });
    },

    /** "Test connection": discovery + JWKS, with what is wrong in words. */
    async test(p: Principal, id: string): Promise<ConnectionReport> {
      const idp = await own(p, id);
      const result = await testConnection(idp, { allowHttpIssuers: deps.allowHttpIssuers, redirectUri: deps.redirectUri });
      await record(p, 'idp.test', id, result.ok ? 'success' : 'failure', { failed: result.checks.filter((c) => !c.ok).map((c) => c.id) });
      return result;
    },
  };

  /** "SSO required" with no enabled IdP left would lock every member out. */
  async function assertNotLastForSso(p: Principal, id: string) {
    const settings = await store.settings(p.organizationId);
    if (!settings.ssoRequired) return;
    const others = (await store.listIdentityProviders(p.organizationId)).filter((i) => i.id !== id && i.enabled);
    assertThat(others.length > 0, new DomainError('idp.required_for_sso', { status: 409 }));
  }
}

export type IdentityProviderAdmin = ReturnType<typeof createIdentityProviderAdmin>;
