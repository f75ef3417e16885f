// Profile → "Apps with access" (/account/apps): every application the person consented to, with the
// scopes and when, and "Remove access", which forgets the consent and revokes the app's grants and
// refresh tokens for this person (the next sign-in to the app asks for consent again).
import Router from '@koa/router';
import type { Context } from 'koa';
import type { AppAccess } from '../accounts/app-consents.ts';
import { attempt } from '../accounts/errors.ts';
import type { Message, MessageCode } from '../accounts/messages/language.ts';
import { render } from '../views/render.ts';
import type { AccountSession } from './account-session.ts';
import type { Csrf } from './csrf.ts';

/** What each scope lets an app do, as catalog codes; an unknown scope shows as its name. */
const SCOPE_TEXT: Record<string, MessageCode> = {
  openid: 'page.account_apps.scope.openid',
  profile: 'page.consent.scope.profile',
  email: 'page.consent.scope.email',
  phone: 'page.consent.scope.phone',
  org: 'page.consent.scope.org',
  offline_access: 'page.account_apps.scope.offline_access',
};

export function createAccountAppsRoutes(deps: { session: AccountSession; csrf: Csrf; access: AppAccess }) {
  const router = new Router({ prefix: '/account' });

  async function page(ctx: Context, accountId: string, sessionUid: string, messages: Message[] = [], status = 200) {
    const apps = await deps.access.list(accountId);
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = render('account-apps', {
      title: 'page.title.apps_with_access',
      csrf: deps.csrf.tokenFor(sessionUid),
      messages,
      apps: apps.map((a) => ({
        ...a,
        // Dates stay dates: the page formats them in the reader's language.
        updatedAt: a.updatedAt.getTime() - a.grantedAt.getTime() > 1000 ? a.updatedAt : null,
        scopeTexts: a.scopes.map((id) => ({ id, code: Object.hasOwn(SCOPE_TEXT, id) ? SCOPE_TEXT[id] : null })),
      })),
    });
  }

  router.get('/apps', async (ctx) => {
    const s = await deps.session.requireSignIn(ctx);
    if (!s) return;
    await page(ctx, s.accountId, s.sessionUid, ctx.query.done === 'removed' ? [{ code: 'app_access.removed', level: 'info' }] : []);
  });

  router.post('/apps/:clientId/remove', async (ctx) => {
    const s = await deps.session.requireSignIn(ctx);
    if (!s) return;
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    deps.csrf.check(s.sessionUid, typeof body.csrf === 'string' ? body.csrf : undefined);
    const removed = await attempt(() => deps.access.remove(s.accountId, ctx.params.clientId, { ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined }));
    if (!removed.ok) return page(ctx, s.accountId, s.sessionUid, [removed.error.toMessage()], removed.error.status);
    ctx.status = 303;
    ctx.redirect('/account/apps?done=removed');
  });
  return router;
}
