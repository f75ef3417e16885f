// The profile's "Logged In Via" section: every profile linked to this account (the local Gatehouse
// profile and each external IdP profile), with when it was last used; unlink; and "Link a profile":
// a round trip through another IdP of the organization that adds its profile to this account.
//   POST /account/linked-profiles/link         idp → the IdP (state, nonce, PKCE kept server-side, bound to this session)
//   GET  /account/linked-profiles/callback     the IdP's answer (routed from /federation/callback)
//   POST /account/linked-profiles/:id/unlink   never the profile this session signed in with, never the last one
// Changes need a recent authentication, as other sign-in changes do.
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { normalizeEmail } from '../accounts/account-rules.ts';
import { attempt, DomainError } from '../accounts/errors.ts';
import type { Message } from '../accounts/messages/language.ts';
import { MAX_LINKED_PROFILES, PROFILE_LINK_TTL_SECONDS } from '../accounts/security-constants.ts';
import type { FederatedSignIn } from '../federation/federated-sign-in.ts';
import type { FederationStore } from '../federation/federation-store.ts';
import { LOCAL_IDP_NAME, linkRefusals, type Linking } from '../federation/linking.ts';
import type { AccountSession, SignedInSession } from './account-session.ts';
import type { Csrf } from './csrf.ts';
import { PROFILE_STATE_PREFIX } from './federation-routes.ts';
import type { StateAdapter as SharedStateAdapter } from '../adapters/state-adapter.ts';

type StateAdapter = Pick<SharedStateAdapter, 'upsert' | 'find' | 'destroy'>;

const pendingSchema = z.object({
  sessionUid: z.string(),
  accountId: z.string(),
  pending: z.object({ idpId: z.string(), issuer: z.string(), state: z.string(), nonce: z.string(), codeVerifier: z.string() }),
});

/** Outcome notices after a redirect: the query carries a code, never user data; each maps to its catalog message. */
const NOTICES: Record<string, Message> = {
  linked: { code: 'link.linked', level: 'info' },
  unlinked: { code: 'link.unlinked', level: 'info' },
  'link.same_idp': { code: 'link.same_idp', level: 'error' },
  'link.limit_reached': { code: 'link.set_full', vars: { max: MAX_LINKED_PROFILES }, level: 'error' },
  'link.identity_taken': { code: 'link.taken_elsewhere', level: 'error' },
  'link.email_unverified': { code: 'link.email_unverified', level: 'error' },
  'link.email_mismatch': { code: 'link.email_mismatch', level: 'error' },
  'link.not_enabled': { code: 'link.not_enabled', level: 'error' },
  'link.other_organization': { code: 'link.other_organization', level: 'error' },
  'link.unlink_current': { code: 'link.unlink_current', level: 'error' },
  'link.unlink_last': { code: 'link.unlink_last', level: 'error' },
  'link.expired': { code: 'link.expired', level: 'error' },
  'federation.access_denied': { code: 'link.cancelled', level: 'error' },
  'federation.idp_unavailable': { code: 'link.idp_unavailable', level: 'error' },
  'federation.email_domain_foreign': { code: 'link.email_domain_foreign', level: 'error' },
  failed: { code: 'link.failed', level: 'error' },
};

export function createLinkedProfilesRoutes(deps: {
  session: AccountSession;
  csrf: Csrf;
  signIn: FederatedSignIn;
  linking: Linking;
  store: FederationStore;
  pendingState: (model: string) => StateAdapter;
  /** When the account last signed in with its Gatehouse password (from the audit log). */
  lastLocalSignIn?: (accountId: string) => Promise<Date | null>;
}) {
  const router = new Router({ prefix: '/account/linked-profiles' });
  const pendingLinks = deps.pendingState('ProfileLink');
  const requestInfo = (ctx: Context) => ({ ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined });
  const back = (ctx: Context, code: string) => {
    ctx.status = 303;
    ctx.redirect(`/account/permissions?linked=${encodeURIComponent(code)}#logged-in-via`);
  };
  /** The notice a refusal comes back with (an upstream failure is a DomainError too). */
  const noticeOf = (err: DomainError) => (Object.hasOwn(NOTICES, err.code) ? err.code : 'failed');

  async function guard(ctx: Context): Promise<SignedInSession | null> {
    const s = await deps.session.requireRecentAuthentication(ctx);
    if (!s) return null;
    if (ctx.method === 'POST') {
      const body = (ctx.request.body ?? {}) as Record<string, unknown>;
      deps.csrf.check(s.sessionUid, body.csrf);
    }
    return s;
  }

  /** The "Logged In Via" view model for the permissions page (account-routes.ts renders it); dates stay dates, for the page to format. */
  async function section(ctx: Context, s: SignedInSession): Promise<Record<string, unknown>> {
    const set = await deps.linking.linkSetOf(s.accountId);
    if (!set) return {};
    const organizationId = set.account.organizationId;
    const idps = organizationId ? await deps.store.listIdentityProviders(organizationId) : [];
    const names = new Map(idps.map((i) => [i.id, i.name]));
    const settings = organizationId ? await deps.store.settings(organizationId) : undefined;
    const localCurrent = s.identityId === null && s.amr.includes('pwd');
    const profiles = [
      ...(set.account.hasPassword
        ? [{ id: 'local', idpName: LOCAL_IDP_NAME, detail: set.account.username, lastUsedAt: (localCurrent ? new Date(s.authTime * 1000) : await deps.lastLocalSignIn?.(s.accountId)) ?? null, current: localCurrent, canUnlink: false }]
        : []),
      ...set.identities.map((i) => ({
        id: i.id,
        // A provider no longer listed has no name of its own: the page says "Identity provider" in the reader's language.
        idpName: names.get(i.idpId) ?? null,
        detail: i.email ?? '',
        lastUsedAt: i.lastUsedAt,
        current: i.id === s.identityId,
        canUnlink: i.id !== s.identityId && set.size > 1,
      })),
    ];
    const used = new Set(set.identities.map((i) => i.idpId));
    const linkable = settings?.allowProfileLinking && set.size < MAX_LINKED_PROFILES
      ? idps.filter((i) => i.enabled && !used.has(i.id)).map((i) => ({ id: i.id, name: i.name }))
      : [];
    const code = typeof ctx.query.linked === 'string' ? ctx.query.linked : '';
    const notice = Object.hasOwn(NOTICES, code) ? [NOTICES[code]!] : [];
    return {
      linkedProfiles: profiles,
      linkableIdps: linkable,
      linkingEnabled: Boolean(settings?.allowProfileLinking),
      linkCsrf: deps.csrf.tokenFor(s.sessionUid),
      organizationDomains: settings?.domains ?? [],
      linkMessages: notice,
    };
  }

  router.post('/link', async (ctx) => {
    const s = await guard(ctx);
    if (!s) return;
    const idpId = String(((ctx.request.body ?? {}) as Record<string, unknown>).idp ?? '').slice(0, 64);
    const set = await deps.linking.linkSetOf(s.accountId);
    const settings = set?.account.organizationId ? await deps.store.settings(set.account.organizationId) : undefined;
    const started = await attempt(async () => {
      if (!settings?.allowProfileLinking) throw linkRefusals.disabled();
      const idp = await deps.signIn.enabledIdp(idpId);
      if (idp.organizationId !== set!.account.organizationId) throw linkRefusals.otherOrganization();
      const refusal = deps.linking.refusalFor(set!, idp, idp.name);
      if (refusal) {
        await deps.linking.recordRefusal(refusal, { actor: s.accountId, target: s.accountId, idp, request: requestInfo(ctx), details: { via: 'profile' } });
        throw refusal;
      }
      // prompt=login: the person proves the other profile now, whatever session they have at the IdP.
      const { url, pending } = await deps.signIn.start(idp.id, { statePrefix: PROFILE_STATE_PREFIX, prompt: 'login' });
      await pendingLinks.upsert(pending.state, { sessionUid: s.sessionUid, accountId: s.accountId, pending }, PROFILE_LINK_TTL_SECONDS);
      return url;
    });
    if (!started.ok) return back(ctx, noticeOf(started.error));
    ctx.status = 303;
    ctx.redirect(started.value);
  });

  router.get('/callback', async (ctx) => {
    const s = await deps.session.requireSignIn(ctx);
    if (!s) return;
    const query = new URLSearchParams(ctx.querystring);
    const state = query.get('state') ?? '';
    const stored = pendingSchema.safeParse(await pendingLinks.find(state));
    await pendingLinks.destroy(state); // single use
    // Bound to the session that started it: a response can't be planted into someone else's profile.
    if (!stored.success || stored.data.sessionUid !== s.sessionUid || stored.data.accountId !== s.accountId || stored.data.pending.state !== state) {
      return back(ctx, 'link.expired');
    }
    const request = requestInfo(ctx);
    const linked = await attempt(async () => {
      const { idp, claims } = await deps.signIn.finish(stored.data.pending, query);
      if (await deps.signIn.foreignEmailDomain(idp, claims.email)) {
        throw new DomainError('federation.email_domain_foreign', { status: 403 });
      }
      const account = (await deps.linking.linkSetOf(s.accountId))!.account;
      // Never on email alone, and only profiles that share the account's address (as the reference finds them).
      const refusal = !claims.email || !claims.emailVerified
        ? linkRefusals.unverified()
        : normalizeEmail(claims.email) !== normalizeEmail(account.email) || !account.emailVerified ? linkRefusals.emailMismatch() : undefined;
      if (refusal) {
        await deps.linking.recordRefusal(refusal, { actor: s.accountId, target: s.accountId, idp, request, details: { via: 'profile' } });
        throw refusal;
      }
      await deps.linking.link({ targetAccountId: s.accountId, idp, claims, actor: s.accountId, via: 'profile', request });
    });
    back(ctx, linked.ok ? 'linked' : noticeOf(linked.error));
  });

  router.post('/:id/unlink', async (ctx) => {
    const s = await guard(ctx);
    if (!s) return;
    const unlinked = await attempt(() => deps.linking.unlink({ accountId: s.accountId, identityId: ctx.params.id, currentIdentityId: s.identityId, request: requestInfo(ctx) }));
    if (!unlinked.ok && unlinked.error.status === 404) throw unlinked.error;
    back(ctx, unlinked.ok ? 'unlinked' : noticeOf(unlinked.error));
  });

  return { router, section };
}
