// First factor: an external OpenID Connect IdP of the person's organization (federation/). The login
// flow reaches federation only through this strategy. Its submit sends the browser to the IdP (state,
// nonce and PKCE verifier kept in flow.private.upstream); its callback runs every check of the upstream
// leg, deletes that scratch state (a response can be used once), and says what the flow does next:
// signed in, "Link your Account", a proven link, or a message on the sign-in page.
import { z } from 'zod';
import { attempt, type DomainError } from '../../accounts/errors.ts';
import type { FederatedSignIn } from '../../federation/federated-sign-in.ts';
import type { LinkCandidate, Linking } from '../../federation/linking.ts';
import { linkRefusals } from '../../federation/linking.ts';
import { UpstreamError, type UpstreamClaims } from '../../federation/upstream-client.ts';
import type { Flow, FlowMessage } from '../login/flow.ts';
import type { FirstFactorOutcome, RequestInfo, SignInMethod } from './method.ts';

const pendingSchema = z.object({
  purpose: z.enum(['sign_in', 'link_proof']),
  idpId: z.string(),
  issuer: z.string(),
  state: z.string(),
  nonce: z.string(),
  codeVerifier: z.string(),
});

const claimsSchema = z.object({
  idpId: z.string(),
  issuer: z.string(),
  subject: z.string(),
  email: z.string().nullable(),
  emailVerified: z.boolean(),
  name: z.string().nullable(),
  amr: z.array(z.string()),
});

/** A first SSO sign-in waiting to be linked: the upstream profile, and once chosen, the profile to prove. */
const linkSchema = z.object({
  claims: claimsSchema,
  targetAccountId: z.string().optional(),
  /** Set when the person proved the target profile (password step, or its IdP round trip). */
  verified: z.boolean().default(false),
});
export type PendingLink = z.infer<typeof linkSchema>;

export type UpstreamCallbackOutcome =
  | {
      kind: 'failed';
      message: FlowMessage;
      /** The technical reason, for the audit log only. */
      reason?: string;
      /** Where the failure is audited: the IdP's organization, with the step and the IdP's OAuth code. */
      audit?: { organizationId: string; details: Record<string, unknown> };
    }
  | { kind: 'signed_in'; accountId: string; identityId: string; amr: string[] }
  | { kind: 'choose_link' }
  | { kind: 'link_proved'; accountId: string; amr: string[] };

/** RFC 8176 amr of a federated login: `fed`, plus `mfa` when the IdP says it did MFA. */
export const federatedAmr = (claims: Pick<UpstreamClaims, 'amr'>) => ['fed', ...(claims.amr.includes('mfa') ? ['mfa'] : [])];

/** A refusal's message (an upstream failure is a DomainError too). */
const messageOf = (err: DomainError): FlowMessage => err.toMessage();

export function createUpstreamMethod(deps: { federation: FederatedSignIn; linking: Linking }) {
  const { federation, linking } = deps;

  /** Sends the browser to an IdP; `link_proof` asks the IdP to authenticate again (prompt=login). */
  async function begin(flow: Flow, idpId: string, purpose: 'sign_in' | 'link_proof'): Promise<FirstFactorOutcome> {
    const started = await attempt(() =>
      federation.start(idpId.slice(0, 64), {
        statePrefix: flow.id,
        prompt: flow.reauth || purpose === 'link_proof' ? 'login' : undefined,
      }),
    );
    // An IdP that can't be reached is a counted failure of this sign-in, shown on the sign-in page.
    if (!started.ok) return { kind: 'failed', message: messageOf(started.error) };
    flow.private.upstream = { ...started.value.pending, purpose };
    return { kind: 'redirect', url: started.value.url };
  }

  const pendingLink = (flow: Flow): PendingLink | undefined => {
    const parsed = linkSchema.safeParse(flow.private.link);
    return parsed.success ? parsed.data : undefined;
  };

  return {
    id: 'upstream',
    step: 'credentials',
    /** "Sign in with <IdP>" (a form field `idp`); any other submission is the next method's. */
    async submit(flow, input) {
      if (!input.idp) return { kind: 'not-mine' };
      return begin(flow, input.idp, 'sign_in');
    },

    begin,
    pendingLink,

    /** The IdP's answer, as it arrived at the redirect URI. */
    async callback(flow: Flow, query: URLSearchParams, request: RequestInfo): Promise<UpstreamCallbackOutcome> {
      const parsed = pendingSchema.safeParse(flow.private.upstream);
      delete flow.private.upstream; // single use, whatever happens next
      if (!parsed.success) {
        return { kind: 'failed', message: { code: 'federation.response_unexpected', level: 'error' } };
      }
      const pending = parsed.data;
      if (query.get('state') !== pending.state) {
        return { kind: 'failed', message: { code: 'federation.state_mismatch', level: 'error' } };
      }
      const finished = await attempt(() => federation.finish(pending, query));
      if (!finished.ok) {
        const err = finished.error;
        return { kind: 'failed', message: messageOf(err), reason: err instanceof UpstreamError ? err.reason : undefined, audit: err instanceof UpstreamError ? err.audit : undefined };
      }
      const { idp, claims } = finished.value;

      if (pending.purpose === 'link_proof') {
        const link = pendingLink(flow);
        const existing = await federation.existingAccount(idp, claims);
        if (!link?.targetAccountId || existing?.identity.accountId !== link.targetAccountId) {
          const err = linkRefusals.proofMismatch();
          const linkIdp = link ? await federation.enabledIdp(link.claims.idpId).catch(() => idp) : idp;
          await linking.recordRefusal(err, { actor: null, target: link?.targetAccountId ?? null, idp: linkIdp, request });
          delete flow.private.link;
          return { kind: 'failed', message: messageOf(err) };
        }
        flow.private.link = { ...link, verified: true };
        return { kind: 'link_proved', accountId: link.targetAccountId, amr: federatedAmr(link.claims) };
      }

      const resolution = await federation.resolve(idp, claims, request);
      switch (resolution.kind) {
        case 'signed_in':
          return { kind: 'signed_in', accountId: resolution.accountId, identityId: resolution.identityId, amr: federatedAmr(claims) };
        case 'choose_link':
          flow.private.link = { claims, verified: false } satisfies PendingLink;
          return { kind: 'choose_link' };
        default:
          return { kind: 'failed', message: messageOf(resolution.error) };
      }
    },

    /** The "Link your Account" candidates of the pending link (recomputed: the sets may have changed). */
    async candidates(flow: Flow): Promise<{ candidates: LinkCandidate[]; canProvision: boolean; idpName: string } | undefined> {
      const link = pendingLink(flow);
      if (!link) return undefined;
      const idp = await federation.enabledIdp(link.claims.idpId);
      return { candidates: await linking.candidates(idp, link.claims), canProvision: idp.provisionUsers, idpName: idp.name };
    },

    /** "Skip": a new SSO account for the pending profile (when the IdP provisions users). */
    async provisionPending(flow: Flow, request: RequestInfo): Promise<UpstreamCallbackOutcome> {
      const link = pendingLink(flow);
      if (!link) return { kind: 'failed', message: { code: 'federation.response_unexpected', level: 'error' } };
      const idp = await federation.enabledIdp(link.claims.idpId);
      if (!idp.provisionUsers) return { kind: 'failed', message: { code: 'federation.no_account', vars: { idp: idp.name }, level: 'error' } };
      const resolution = await federation.provision(idp, link.claims, request);
      delete flow.private.link;
      if (resolution.kind !== 'signed_in') return { kind: 'failed', message: resolution.kind === 'refused' ? messageOf(resolution.error) : { code: 'federation.no_account', vars: { idp: idp.name }, level: 'error' } };
      return { kind: 'signed_in', accountId: resolution.accountId, identityId: resolution.identityId, amr: federatedAmr(link.claims) };
    },

    /** Completes a proven link: the pending profile now signs in to the target. Returns the identity used. */
    async completeLink(flow: Flow, request: RequestInfo): Promise<string | undefined> {
      const link = pendingLink(flow);
      if (!link?.verified || !link.targetAccountId || flow.accountId !== link.targetAccountId) return undefined;
      const idp = await federation.enabledIdp(link.claims.idpId);
      const identity = await linking.link({ targetAccountId: link.targetAccountId, idp, claims: link.claims, actor: link.targetAccountId, via: 'sign_in', request });
      delete flow.private.link;
      return identity.id;
    },
  } satisfies SignInMethod & Record<string, unknown>;
}

export type UpstreamMethod = ReturnType<typeof createUpstreamMethod>;
