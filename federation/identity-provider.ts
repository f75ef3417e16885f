// External OpenID Connect identity providers (IdPs) an organization registers: the types and the
// rules for a registration. Only OpenID Connect is accepted: the issuer is discovered, the flow is the
// authorization code flow with an ID token; no SAML, no plain OAuth 2.0.
import { violation, type RuleViolation } from '../accounts/errors.ts';

/** Which upstream claim carries each piece of the profile. */
export type ClaimMapping = { subject: string; email: string; emailVerified: string; name: string };

export const DEFAULT_CLAIM_MAPPING: ClaimMapping = { subject: 'sub', email: 'email', emailVerified: 'email_verified', name: 'name' };
export const DEFAULT_SCOPES = ['openid', 'email', 'profile'];

/**
 * How Gatehouse authenticates at the IdP's token endpoint (OIDC Core §9). client_secret_basic is the
 * default (OIDC Registration §2); some IdPs only accept the secret in the body (client_secret_post)
 * or a JWT signed with Gatehouse's own key (private_key_jwt, the key published at Gatehouse's JWKS).
 */
export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];
export const DEFAULT_TOKEN_ENDPOINT_AUTH_METHOD: TokenEndpointAuthMethod = 'client_secret_basic';

/** An IdP as everyone but the upstream leg sees it: never its client secret. */
export type IdentityProvider = {
  id: string;
  organizationId: string;
  name: string;
  issuer: string;
  clientId: string;
  hasClientSecret: boolean;
  scopes: string[];
  claimMapping: ClaimMapping;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  /** A "Sign in with <name>" button on the sign-in page. */
  showButton: boolean;
  /** Just-in-time provisioning: a first sign-in with no linked account creates one in the organization. */
  provisionUsers: boolean;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
};

/** What the store holds: the IdP plus its sealed secret (only the upstream leg opens it). */
export type StoredIdentityProvider = IdentityProvider & { clientSecretSealed: string | null };

export type IdentityProviderInput = {
  name: string;
  issuer: string;
  clientId: string;
  /** Write-only: replaces the stored secret when given; '' removes it (a public client). */
  clientSecret?: string;
  scopes?: string[];
  claimMapping?: Partial<ClaimMapping>;
  tokenEndpointAuthMethod?: string;
  showButton?: boolean;
  provisionUsers?: boolean;
  enabled?: boolean;
};

const CLAIM_NAME = /^[A-Za-z0-9_:.\-/]{1,100}$/;
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/; // RFC 6749 §3.3 scope-token
/** Claims that are not stable identifiers: an identity is (issuer, sub), never an email or a name. */
const NOT_A_SUBJECT = new Set(['email', 'email_verified', 'preferred_username', 'name', 'upn', 'unique_name', 'given_name', 'family_name', 'nickname']);

/** Normalizes an issuer URL as typed (trailing slash removed); undefined when it is not a URL at all. */
export function normalizeIssuer(value: string): string | undefined {
  try {
    const url = new URL(value.trim());
    return url.href.replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

/** The rules of a registration, one violation per broken rule. */
export function identityProviderViolations(input: IdentityProviderInput, options: { allowHttpIssuers: boolean }): RuleViolation[] {
  const v: RuleViolation[] = [];
  const name = input.name.trim();
  if (name.length < 1 || name.length > 100) v.push(violation('name', 'idp.name_length'));
  if (/[\x00-\x1f\x7f]/.test(name)) v.push(violation('name', 'idp.name_invalid'));

  const issuer = normalizeIssuer(input.issuer);
  if (!issuer || input.issuer.length > 500) {
    v.push(violation('issuer', 'idp.issuer_invalid'));
  } else {
    const url = new URL(issuer);
    // OIDC Discovery §4.3 / RFC 8414 §2: the issuer is an https URL with no query or fragment.
    if (url.protocol !== 'https:' && !(options.allowHttpIssuers && url.protocol === 'http:')) {
      v.push(violation('issuer', 'idp.issuer_not_https'));
    }
    if (url.search || url.hash || url.username || url.password) {
      v.push(violation('issuer', 'idp.issuer_invalid'));
    }
  }

  const clientId = input.clientId.trim();
  if (clientId.length < 1 || clientId.length > 300 || /[\x00-\x1f\x7f]/.test(clientId)) {
    v.push(violation('clientId', 'idp.client_id_invalid'));
  }
  if (input.clientSecret !== undefined && (input.clientSecret.length > 1000 || /[\x00-\x1f\x7f]/.test(input.clientSecret))) {
    v.push(violation('clientSecret', 'idp.client_secret_invalid'));
  }

  if (input.tokenEndpointAuthMethod !== undefined && !(TOKEN_ENDPOINT_AUTH_METHODS as readonly string[]).includes(input.tokenEndpointAuthMethod)) {
    v.push(violation('tokenEndpointAuthMethod', 'idp.auth_method_invalid'));
  }

  if (input.scopes !== undefined) {
    if (!input.scopes.includes('openid')) {
      v.push(violation('scopes', 'idp.openid_scope_required'));
    }
    if (input.scopes.length > 20 || input.scopes.some((s) => !SCOPE.test(s))) {
      v.push(violation('scopes', 'idp.scopes_invalid'));
    }
  }

  const mapping = { ...DEFAULT_CLAIM_MAPPING, ...definedOnly(input.claimMapping ?? {}) };
  for (const [key, claim] of Object.entries(mapping)) {
    if (!CLAIM_NAME.test(claim)) v.push(violation(`claimMapping.${key}`, 'idp.claim_invalid', { claim: key }));
  }
  if (NOT_A_SUBJECT.has(mapping.subject) || mapping.subject === mapping.email) {
    v.push(violation('claimMapping.subject', 'idp.subject_claim_unstable'));
  }
  return v;
}

export function definedOnly<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, x]) => x !== undefined && x !== '')) as Partial<T>;
}

/** Scopes as typed in a form ("openid email profile"). */
export function parseScopes(value: string): string[] {
  return [...new Set(value.split(/\s+/).filter(Boolean))];
}
