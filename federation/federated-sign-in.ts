// Signing in through an external IdP, after the upstream leg: which Gatehouse account the upstream
// identity (issuer, sub) signs in to, or what happens when it signs in to none yet (link an existing
// profile, or just-in-time provisioning, or a refusal). The email is never the identity: it only finds
// link candidates, and only when the IdP verified it.
//
// Email-domain rule (the "IdP returns another organization's email domain" attack): when the address an
// IdP asserts is in a domain another organization registered (the most specific registered domain
// decides, subdomains included), the sign-in is refused and audited. Otherwise an IdP of organization A
// could mint accounts whose verified email claims say they are people of organization B, and relying
// parties that trust email + email_verified would believe it.
import { randomBytes } from 'node:crypto';
import type { AuditLog } from '../accounts/audit.ts';
import { DomainError } from '../accounts/errors.ts';
import { emailDomainCandidates } from './domains.ts';
import type { FederationStore } from './federation-store.ts';
import type { StoredIdentityProvider } from './identity-provider.ts';
import type { LinkCandidate, Linking, RequestInfo } from './linking.ts';
import type { PendingUpstream, UpstreamClaims, UpstreamClient } from './upstream-client.ts';
import { UpstreamError } from './upstream-client.ts';
import { upstreamFailureDetails } from './upstream-failure.ts';

export type SignInResolution =
  | { kind: 'signed_in'; accountId: string; identityId: string; provisioned: boolean }
  | { kind: 'choose_link'; candidates: LinkCandidate[]; canProvision: boolean }
  | { kind: 'refused'; error: DomainError };

export type IdpChoice = { id: string; name: string };

type WarnLogger = { warn(obj: Record<string, unknown>, msg: string): void };

export function createFederatedSignIn(deps: { store: FederationStore; upstream: UpstreamClient; linking: Linking; audit: AuditLog; logger?: WarnLogger }) {
  const { store, upstream, linking, audit } = deps;

  /** An upstream failure, once the IdP is known: logged for the operator, and addressed to the IdP's organization's audit log. */
  function diagnosed(idp: StoredIdentityProvider, err: unknown): unknown {
    if (!(err instanceof UpstreamError)) return err;
    const details = upstreamFailureDetails(idp, err);
    err.audit = { organizationId: idp.organizationId, details };
    deps.logger?.warn({ organizationId: idp.organizationId, ...details }, 'federated sign-in failed');
    return err;
  }

  async function enabledIdp(idpId: string): Promise<StoredIdentityProvider> {
    const idp = await store.findIdentityProvider(idpId);
    if (!idp || !idp.enabled) throw new DomainError('federation.idp_not_found', { status: 404 });
    return idp;
  }

  const refuse = async (idp: StoredIdentityProvider, claims: UpstreamClaims, error: DomainError, request: RequestInfo): Promise<SignInResolution> => {
    await audit.record({
      actor: null,
      action: 'session.sign_in',
      outcome: 'failure',
      organizationId: idp.organizationId,
      ip: request.ip,
      userAgent: request.userAgent,
      details: { method: 'upstream', idp: idp.id, reason: error.code, ...(claims.email ? { email: claims.email } : {}) },
    });
    return { kind: 'refused', error };
  };

  /** Whether `email` is in a domain registered by another organization than the IdP's. */
  async function foreignEmailDomain(idp: StoredIdentityProvider, email: string | null): Promise<boolean> {
    if (!email) return false;
    const candidates = emailDomainCandidates(email);
    const owners = await store.domainOwners(candidates);
    const mostSpecific = candidates.map((d) => owners.find((o) => o.domain === d)).find(Boolean);
    return mostSpecific !== undefined && mostSpecific.organizationId !== idp.organizationId;
  }

  /** A username from the IdP's profile: the email's local part (or the name), made valid and unique. */
  async function deriveUsername(claims: UpstreamClaims): Promise<string> {
    const source = claims.email?.split('@')[0] ?? claims.name ?? 'user';
    let base = source.normalize('NFKD').replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
    if (base.length < 3) base = `${base}${base ? '-' : ''}sso`.replace(/^-/, '');
    if (!(await store.usernameExists(base))) return base;
    for (let i = 0; i < 8; i++) {
      const candidate = `${base}-${randomBytes(3).toString('hex')}`;
      if (!(await store.usernameExists(candidate))) return candidate;
    }
    throw new DomainError('federation.username_unavailable', { status: 503 });
  }

  async function provision(idp: StoredIdentityProvider, claims: UpstreamClaims, request: RequestInfo): Promise<SignInResolution> {
    if (!claims.email) {
      return refuse(idp, claims, new DomainError('federation.email_required', { status: 403, vars: { idp: idp.name } }), request);
    }
    const username = await deriveUsername(claims);
    const { account, identity } = await store.transaction(async (tx) => {
      const account = await tx.createSsoAccount({ username, email: claims.email!, emailVerified: claims.emailVerified, name: claims.name, organizationId: idp.organizationId });
      const identity = await tx.attachIdentity({ idpId: idp.id, issuer: claims.issuer, subject: claims.subject, accountId: account.id, email: claims.email });
      return { account, identity };
    });
    await audit.record({
      actor: account.id,
      action: 'account.create',
      target: account.id,
      organizationId: idp.organizationId,
      outcome: 'success',
      ip: request.ip,
      userAgent: request.userAgent,
      details: { via: 'federation', idp: idp.id, username: account.username },
    });
    return { kind: 'signed_in', accountId: account.id, identityId: identity.id, provisioned: true };
  }

  return {
    enabledIdp,
    foreignEmailDomain,

    /** "Sign in with <name>" buttons: every enabled IdP whose organization asked for one. */
    async buttons(): Promise<IdpChoice[]> {
      return (await store.listButtonIdentityProviders()).map((i) => ({ id: i.id, name: i.name }));
    },

    /** The enabled IdPs of the organization that registered `domain`; empty when none (or no such domain). */
    async idpsOfDomain(domain: string): Promise<IdpChoice[]> {
      const organizationId = await store.organizationOfDomain(domain);
      if (!organizationId) return [];
      return (await store.listIdentityProviders(organizationId)).filter((i) => i.enabled).map((i) => ({ id: i.id, name: i.name }));
    },

    /** The authorization request to an IdP; the pending state goes into the caller's private flow state. */
    async start(idpId: string, options: { statePrefix: string; prompt?: string }): Promise<{ url: string; pending: PendingUpstream; idp: StoredIdentityProvider }> {
      const idp = await enabledIdp(idpId);
      try {
        const started = await upstream.start(idp, options);
        return { ...started, idp };
      } catch (err) {
        throw diagnosed(idp, err);
      }
    },

    /** The callback: every check of the upstream leg; throws UpstreamError (or DomainError) with a message. */
    async finish(pending: PendingUpstream, query: URLSearchParams): Promise<{ idp: StoredIdentityProvider; claims: UpstreamClaims }> {
      const idp = await enabledIdp(pending.idpId);
      try {
        return { idp, claims: await upstream.finish(idp, query, pending) };
      } catch (err) {
        throw diagnosed(idp, err);
      }
    },

    /** The account an upstream identity already signs in to, if any, and whether it may. */
    async existingAccount(idp: StoredIdentityProvider, claims: UpstreamClaims) {
      const identity = await store.findIdentity(idp.id, claims.issuer, claims.subject);
      return identity ? { identity, account: await store.accountFacts(identity.accountId) } : undefined;
    },

    async resolve(idp: StoredIdentityProvider, claims: UpstreamClaims, request: RequestInfo): Promise<SignInResolution> {
      if (await foreignEmailDomain(idp, claims.email)) {
        return refuse(idp, claims, new DomainError('federation.email_domain_foreign', { status: 403 }), request);
      }
      const identity = await store.findIdentity(idp.id, claims.issuer, claims.subject);
      if (identity) {
        const account = await store.accountFacts(identity.accountId);
        // An IdP signs in only accounts of its own organization (an account may have moved since).
        if (!account || account.organizationId !== idp.organizationId) {
          return refuse(idp, claims, new DomainError('federation.account_elsewhere', { status: 403 }), request);
        }
        await store.touchIdentity(identity.id, claims.email);
        // The IdP is the source of an SSO account's email and name; a local account keeps its own.
        if (!account.hasPassword) await store.updateSsoProfile(account.id, { email: claims.email ?? undefined, emailVerified: claims.emailVerified, name: claims.name ?? undefined });
        return { kind: 'signed_in', accountId: account.id, identityId: identity.id, provisioned: false };
      }
      const settings = await store.settings(idp.organizationId);
      if (settings.allowProfileLinking) {
        const candidates = await linking.candidates(idp, claims);
        if (candidates.length > 0) return { kind: 'choose_link', candidates, canProvision: idp.provisionUsers };
      }
      if (idp.provisionUsers) return provision(idp, claims, request);
      return refuse(idp, claims, new DomainError('federation.no_account', { status: 403, vars: { idp: idp.name } }), request);
    },

    provision,
  };
}

export type FederatedSignIn = ReturnType<typeof createFederatedSignIn>;
export { UpstreamError };
