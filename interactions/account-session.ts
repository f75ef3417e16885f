// Gatehouse's own pages (profile, admin) are a first-party OIDC client of Gatehouse: they read
// the provider's session and, when it is missing or too old, send the person through /auth
// (prompt=login for re-authentication). There is no second login system.
import { createHash, randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { DomainError } from '../accounts/errors.ts';
import { reauthenticationRequired, type FactorMarksStore } from '../accounts/reauthentication.ts';

export const ACCOUNT_CLIENT_ID = 'gatehouse-account';
export const ACCOUNT_CALLBACK_PATH = '/account/callback';
const RETURN_COOKIE = 'gh_account_return';

export type SignedInSession = {
  accountId: string;
  sessionUid: string;
  amr: string[];
  authTime: number;
  /** When the first factor was last proven in this session (epoch seconds): the password, or for an SSO login the IdP's sign-in. */
  passwordAt: number | null;
  /** When MFA was last completed in this session, null if never. */
  mfaAt: number | null;
  /** The upstream identity (external IdP profile) this session signed in with; null for a local sign-in. */
  identityId: string | null;
  /** The MFA method kind this session signed in with, null when none (or not known). */
  mfaMethod: string | null;
};

/** The client registration Gatehouse keeps for its own pages (upserted at start). */
export function accountClientMetadata(issuer: string) {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: 'Gatehouse account',
    redirect_uris: [`${issuer}${ACCOUNT_CALLBACK_PATH}`],
    post_logout_redirect_uris: [`${issuer}/account`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    scope: 'openid',
    first_party: true,
  };
}

export function createAccountSession(deps: {
  provider: Provider;
  issuer: string;
  marks: FactorMarksStore;
  /** Whether the account signs in with MFA (false for exempt service accounts and SSO accounts). */
  usesMfa: (accountId: string) => Promise<boolean>;
  /** Injectable so tests move time instead of sleeping. */
  clock?: () => number;
}) {
  const { provider, issuer, marks } = deps;
  const now = () => Math.floor((deps.clock ?? Date.now)() / 1000);

  async function current(ctx: Context): Promise<SignedInSession | undefined> {
    const session = await provider.Session.get(ctx as never);
    if (!session?.accountId || !session.uid) return undefined;
    const mark = await marks.get(session.uid);
    const sameAccount = mark?.accountId === session.accountId;
    return {
      accountId: session.accountId,
      sessionUid: session.uid,
      amr: session.amr ?? [],
      authTime: session.loginTs ?? 0,
      passwordAt: sameAccount ? mark.passwordAt : null,
      mfaAt: sameAccount ? mark.mfaAt : null,
      identityId: sameAccount ? (mark.identityId ?? null) : null,
      mfaMethod: sameAccount ? (mark.mfaMethod ?? null) : null,
    };
  }

  /** Sends the browser through /auth as the account client; the callback brings it back to `returnTo`. */
  function redirectToSignIn(ctx: Context, options: { reauthenticate: boolean }) {
    const state = randomBytes(16).toString('base64url');
    // PKCE is mandatory for every client; the verifier is not needed again because the pages read the session.
    const challenge = createHash('sha256').update(randomBytes(32)).digest('base64url');
    ctx.cookies.set(RETURN_COOKIE, JSON.stringify({ state, returnTo: safeReturnPath(ctx.originalUrl) }), {
      signed: true,
      httpOnly: true,
      sameSite: 'lax',
      maxAge: 30 * 60 * 1000,
      path: ACCOUNT_CALLBACK_PATH,
    });
    const url = new URL('/auth', issuer);
    url.search = new URLSearchParams({
      client_id: ACCOUNT_CLIENT_ID,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: `${issuer}${ACCOUNT_CALLBACK_PATH}`,
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...(options.reauthenticate ? { prompt: 'login' } : {}),
    }).toString();
    ctx.status = 303;
    ctx.redirect(url.href);
  }

  return {
    current,

    async requireSignIn(ctx: Context): Promise<SignedInSession | null> {
      const session = await current(ctx);
      if (session) return session;
      redirectToSignIn(ctx, { reauthenticate: false });
      return null;
    },

    async requireRecentAuthentication(ctx: Context): Promise<SignedInSession | null> {
      const session = await current(ctx);
      if (!session) {
        redirectToSignIn(ctx, { reauthenticate: false });
        return null;
      }
      const needed = reauthenticationRequired({
        passwordAt: session.passwordAt,
        mfaAt: session.mfaAt,
        usesMfa: await deps.usesMfa(session.accountId),
        now: now(),
      });
      if (needed === 'none') return session;
      redirectToSignIn(ctx, { reauthenticate: true });
      return null;
    },

    /**
     * The pages' "Sign out": RP-initiated logout of this client, confirmed by the person's click on a
     * form carrying this session's CSRF token, so the provider's second "Do you want to sign out?"
     * page is not needed. As oidc-provider does itself when a different account signs in (resume),
     * the logout details go into the session's state with that token as their xsrf secret, and the
     * browser re-sends its POST (307) to the end-session confirmation, which ends the session, tells
     * the session's apps (back-channel logout), revokes their grants and returns to `returnTo`.
     */
    async signOut(ctx: Context, token: string, returnTo = '/account') {
      const session = await provider.Session.get(ctx as never);
      session.state = { secret: token, clientId: ACCOUNT_CLIENT_ID, postLogoutRedirectUri: `${issuer}${safeReturnPath(returnTo)}` };
      await session.persist();
      ctx.status = 307;
      ctx.redirect('/session/end/confirm');
    },

    /** GET /account/callback: checks the state we sent and returns to the page that asked. */
    async handleCallback(ctx: Context) {
      const raw = ctx.cookies.get(RETURN_COOKIE, { signed: true });
      ctx.cookies.set(RETURN_COOKIE, null, { path: ACCOUNT_CALLBACK_PATH });
      let saved: { state?: string; returnTo?: string } = {};
      try {
        saved = raw ? JSON.parse(raw) : {};
      } catch {
        saved = {};
      }
      const state = typeof ctx.query.state === 'string' ? ctx.query.state : undefined;
      if (!state || state !== saved.state) {
        throw new DomainError('error.account_sign_in_link_invalid');
      }
      if (typeof ctx.query.error === 'string') {
        throw new DomainError(ctx.query.error === 'access_denied' ? 'error.account_sign_in_cancelled' : 'error.account_sign_in_incomplete');
      }
      ctx.status = 303;
      ctx.redirect(safeReturnPath(saved.returnTo));
    },
  };
}

export type AccountSession = ReturnType<typeof createAccountSession>;

/** Only same-site paths: never an absolute URL an attacker could plant (open redirect). */
function safeReturnPath(value: string | undefined): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/account';
  return value;
}
