// Profile → "Sessions": where the person is signed in, and signing out of them; and the "Sign out"
// control every profile and admin page carries.
//   GET  /account/sessions              every active session (device, place, when, how, apps; "This device")
//   POST /account/sessions/end          "Sign out" one other session (field `session`: its id)
//   POST /account/sessions/end-others   "Sign out of all other sessions"
//   POST /account/sign-out              RP-initiated logout of this session (interactions/account-session.ts)
import Router from '@koa/router';
import type { Context } from 'koa';
import type { AccountSessions, SessionView } from '../accounts/account-sessions.ts';
import { attempt } from '../accounts/errors.ts';
import type { ViewMessage } from '../views/render.ts';
import type { AccountSession, SignedInSession } from './account-session.ts';
import type { Csrf } from './csrf.ts';
import { formInput, page, requestInfo } from './self-service/http.ts';

/** `?done=` notices after a redirect (texts: session.<notice> in the catalog). */
const NOTICES = ['ended', 'ended_others', 'none_other', 'gone'] as const;

/** One session as a table row (shared with the administrators' user page); the page words and dates it in the reader's language. */
export function sessionRow(v: SessionView) {
  return { ...v, appsText: v.apps.join(', ') };
}

export function createAccountSessionsRoutes(deps: { session: AccountSession; csrf: Csrf; sessions: AccountSessions }) {
  const router = new Router({ prefix: '/account' });
  const { session, csrf, sessions } = deps;

  async function guard(ctx: Context): Promise<SignedInSession | null> {
    const s = await session.requireSignIn(ctx);
    if (s && ctx.method === 'POST') csrf.check(s.sessionUid, formInput(ctx.request.body).csrf);
    return s;
  }
  const back = (ctx: Context, done: string) => {
    ctx.status = 303;
    ctx.redirect(`/account/sessions?done=${done}`);
  };
  const context = (ctx: Context, s: SignedInSession) => ({ actor: s.accountId, by: 'self' as const, currentUid: s.sessionUid, ...requestInfo(ctx) });

  router.get('/sessions', async (ctx) => {
    const s = await guard(ctx);
    if (!s) return;
    const code = typeof ctx.query.done === 'string' ? ctx.query.done : '';
    const known = NOTICES.find((n) => n === code);
    const messages: ViewMessage[] = known ? [{ code: `session.${known}`, level: 'info' }] : [];
    const list = await sessions.list(s.accountId, { currentUid: s.sessionUid });
    page(ctx, 'account-sessions', {
      title: 'page.title.sessions',
      csrf: csrf.tokenFor(s.sessionUid),
      messages,
      sessions: list.map(sessionRow),
      others: list.filter((v) => !v.current).length,
    });
  });

  router.post('/sessions/end', async (ctx) => {
    const s = await guard(ctx);
    if (!s) return;
    const uid = formInput(ctx.request.body, 128).session ?? '';
    // This device signs out through the Sign out control (the provider's logout, then the sign-in page).
    if (uid === s.sessionUid) return back(ctx, 'none_other');
    const ended = await attempt(() => sessions.end(s.accountId, uid, context(ctx, s)));
    if (!ended.ok && ended.error.status !== 404) throw ended.error;
    if (!ended.ok) return back(ctx, 'gone');
    back(ctx, 'ended');
  });

  router.post('/sessions/end-others', async (ctx) => {
    const s = await guard(ctx);
    if (!s) return;
    const count = await sessions.endOthers(s.accountId, s.sessionUid, context(ctx, s));
    back(ctx, count > 0 ? 'ended_others' : 'none_other');
  });

  router.post('/sign-out', async (ctx) => {
    const s = await session.current(ctx);
    if (!s) {
      // Already signed out (another tab, or the session was ended elsewhere): go to the sign-in page.
      ctx.status = 303;
      return ctx.redirect('/account');
    }
    const token = formInput(ctx.request.body, 200).xsrf ?? '';
    csrf.check(s.sessionUid, token);
    await session.signOut(ctx, token);
  });

  return router;
}
