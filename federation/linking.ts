// Profile linking (reference: "Linking Your Anypoint Platform Profiles"). A link set is one Gatehouse
// account and the profiles that sign in to it: its local Gatehouse profile (its password, if it has one)
// and its upstream identities. Rules, each pinned by a test:
//   - at most 25 profiles per set, at most one per IdP (the local Gatehouse IdP counts as one);
//   - only within the IdP's organization, only when an administrator enabled linking;
//   - never on email alone: the IdP must say email_verified=true, and the candidate's own address must
//     be verified too; the person then proves the chosen profile by signing in as it;
//   - every link, unlink and refusal is audited.
import type { AuditLog } from '../accounts/audit.ts';
import { DomainError, assertThat } from '../accounts/errors.ts';
import type { Message } from '../accounts/messages/language.ts';
import { notFound } from '../accounts/access.ts';
import { MAX_LINKED_PROFILES } from '../accounts/security-constants.ts';
import type { AccountFacts, FederatedIdentity, FederationStore } from './federation-store.ts';
import type { StoredIdentityProvider } from './identity-provider.ts';
import type { UpstreamClaims } from './upstream-client.ts';

/** The local Gatehouse IdP's name wherever profiles are listed. */
export const LOCAL_IDP_NAME = 'Gatehouse';

export type RequestInfo = { ip?: string; userAgent?: string };

export type LinkSet = { account: AccountFacts; identities: FederatedIdentity[]; size: number };

/** How the person proves a candidate profile: its password (+ MFA), or a round trip through its IdP. */
export type LinkProof = { kind: 'password' } | { kind: 'idp'; idpId: string; idpName: string };

export type LinkCandidate = {
  accountId: string;
  username: string;
  /** The IdPs its profiles use ("Gatehouse" for a local profile), shown on hover. */
  idpNames: string[];
  proof: LinkProof;
  /** Why this candidate can't take the new profile, if it can't. */
  refusal?: Message;
};

export const linkRefusals = {
  sameIdp: (username: string, idpName: string) =>
    new DomainError('link.same_idp', { status: 409 }),
  limit: (username: string) =>
    new DomainError('link.limit_reached', { status: 409, vars: { username, max: MAX_LINKED_PROFILES } }),
  disabled: () => new DomainError('link.not_enabled', { status: 403 }),
  unverified: () =>
    new DomainError('link.email_unverified', { status: 403 }),
  taken: (idpName: string) => new DomainError('link.identity_taken', { status: 409, vars: { idp: idpName } }),
  otherOrganization: () => new DomainError('link.other_organization', { status: 403 }),
  notCandidate: () => new DomainError('link.not_a_candidate', { status: 400 }),
  proofMismatch: () => new DomainError('link.proof_mismatch', { status: 403 }),
  emailMismatch: () =>
    new DomainError('link.email_mismatch', { status: 403 }),
};

export function createLinking(deps: { store: FederationStore; audit: AuditLog }) {
  const { store, audit } = deps;

  async function linkSetOf(s: FederationStore, accountId: string): Promise<LinkSet | undefined> {
    const account = await s.accountFacts(accountId);
    if (!account) return undefined;
    const identities = await s.identitiesOf(accountId);
    return { account, identities, size: identities.length + (account.hasPassword ? 1 : 0) };
  }

  /** The rule check for adding a profile of `idp` to `set`; undefined when allowed. */
  function refusalFor(set: LinkSet, idp: StoredIdentityProvider, idpName: string): DomainError | undefined {
    if (set.account.organizationId !== idp.organizationId) return linkRefusals.otherOrganization();
    if (set.identities.some((i) => i.idpId === idp.id)) return linkRefusals.sameIdp(set.account.username, idpName);
    if (set.size >= MAX_LINKED_PROFILES) return linkRefusals.limit(set.account.username);
    return undefined;
  }

  async function idpNames(organizationId: string) {
    const names = new Map<string, string>();
    for (const i of await store.listIdentityProviders(organizationId)) names.set(i.id, i.name);
    return names;
  }

  async function recordRefusal(err: { code: string }, input: { actor: string | null; target: string | null; idp: StoredIdentityProvider; request: RequestInfo; details?: Record<string, unknown> }) {
    await audit.record({
      actor: input.actor,
      action: 'federation.link',
      target: input.target,
      organizationId: input.idp.organizationId,
      outcome: 'denied',
      ip: input.request.ip,
      userAgent: input.request.userAgent,
      details: { reason: err.code, idp: input.idp.id, ...input.details },
    });
  }

  return {
    linkSetOf: (accountId: string) => linkSetOf(store, accountId),
    refusalFor,
    recordRefusal,

    /**
     * The "Link your Account" candidates for a first SSO sign-in: profiles of the IdP's organization
     * with the same verified address. Empty when the IdP did not verify the address.
     */
    async candidates(idp: StoredIdentityProvider, claims: UpstreamClaims): Promise<LinkCandidate[]> {
      if (!claims.email || !claims.emailVerified) return [];
      const accounts = (await store.accountsInOrganizationByEmail(idp.organizationId, claims.email)).filter((a) => a.emailVerified && !a.serviceAccount);
      if (accounts.length === 0) return [];
      const names = await idpNames(idp.organizationId);
      const out: LinkCandidate[] = [];
      for (const account of accounts) {
        const set = (await linkSetOf(store, account.id))!;
        const newest = [...set.identities].sort((a, b) => (b.lastUsedAt?.getTime() ?? 0) - (a.lastUsedAt?.getTime() ?? 0))[0];
        const proof: LinkProof | undefined = account.hasPassword
          ? { kind: 'password' }
          : newest ? { kind: 'idp', idpId: newest.idpId, idpName: names.get(newest.idpId) ?? 'identity provider' } : undefined;
        if (!proof) continue; // an account with no way to sign in can't prove anything
        const refusal = refusalFor(set, idp, idp.name);
        out.push({
          accountId: account.id,
          username: account.username,
          idpNames: [...(account.hasPassword ? [LOCAL_IDP_NAME] : []), ...set.identities.map((i) => names.get(i.idpId) ?? 'identity provider')],
          proof,
          ...(refusal ? { refusal: refusal.toMessage() } : {}),
        });
      }
      return out;
    },

    /**
     * Links the upstream identity in `claims` to `targetAccountId`, after the person proved both. Checks
     * every rule again under a lock on the target (the set may have changed since the page was shown).
     * An identity that already signs in to a provisioned SSO account with no other profile moves here
     * (that account then has no way to sign in); one attached anywhere else is refused.
     */
    async link(input: {
      targetAccountId: string;
      idp: StoredIdentityProvider;
      claims: UpstreamClaims;
      actor: string;
      via: 'sign_in' | 'profile';
      request: RequestInfo;
    }): Promise<FederatedIdentity> {
      const { idp, claims } = input;
      let moved: string | undefined;
      try {
        const identity = await store.transaction(async (tx) => {
          await tx.lockAccount(input.targetAccountId);
          const set = await linkSetOf(tx, input.targetAccountId);
          if (!set) throw notFound('account');
          const existing = await tx.findIdentity(idp.id, claims.issuer, claims.subject);
          if (existing?.accountId === input.targetAccountId) return existing;
          const refusal = refusalFor(set, idp, idp.name);
          if (refusal) throw refusal;
          if (existing) {
            const other = await linkSetOf(tx, existing.accountId);
            const movable = other && !other.account.hasPassword && other.identities.length === 1 && other.account.organizationId === idp.organizationId;
            assertThat(movable, linkRefusals.taken(idp.name));
            await tx.moveIdentity(existing.id, input.targetAccountId);
            moved = existing.accountId;
            return { ...existing, accountId: input.targetAccountId };
          }
          return tx.attachIdentity({ idpId: idp.id, issuer: claims.issuer, subject: claims.subject, accountId: input.targetAccountId, email: claims.email });
        });
        await audit.record({
          actor: input.actor,
          action: 'federation.link',
          target: input.targetAccountId,
          organizationId: idp.organizationId,
          outcome: 'success',
          ip: input.request.ip,
          userAgent: input.request.userAgent,
          details: { idp: idp.id, identity: identity.id, via: input.via, ...(moved ? { movedFrom: moved } : {}) },
        });
        return identity;
      } catch (err) {
        if (err instanceof DomainError) await recordRefusal(err, { actor: input.actor, target: input.targetAccountId, idp, request: input.request, details: { via: input.via } });
        throw err;
      }
    },

    /** Removes a linked IdP profile; never the one in use now, never the account's last way to sign in. */
    async unlink(input: { accountId: string; identityId: string; currentIdentityId: string | null; request: RequestInfo }) {
      const identity = await store.findIdentityById(input.identityId);
      if (!identity || identity.accountId !== input.accountId) throw notFound('linked_profile');
      const idp = await store.findIdentityProvider(identity.idpId);
      const record = (outcome: 'success' | 'denied', reason?: string) =>
        audit.record({
          actor: input.accountId,
          action: 'federation.unlink',
          target: input.accountId,
          organizationId: idp?.organizationId ?? null,
          outcome,
          ip: input.request.ip,
          userAgent: input.request.userAgent,
          details: { idp: identity.idpId, identity: identity.id, ...(reason ? { reason } : {}) },
        });
      // Audit after the transaction: the audit log writes through its own connection.
      const refusal = await store.transaction(async (tx) => {
        await tx.lockAccount(input.accountId);
        const set = (await linkSetOf(tx, input.accountId))!;
        if (identity.id === input.currentIdentityId) {
          return new DomainError('link.unlink_current', { status: 409 });
        }
        if (set.size <= 1) return new DomainError('link.unlink_last', { status: 409 });
        await tx.deleteIdentity(identity.id);
        return undefined;
      });
      if (refusal) {
        await record('denied', refusal.code);
        throw refusal;
      }
      await record('success');
    },
  };
}

export type Linking = ReturnType<typeof createLinking>;
