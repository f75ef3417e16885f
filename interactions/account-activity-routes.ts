// Profile → "Recent sign-ins": a person's own recent sign-ins, successful and failed (reference:
// "to ensure no unauthorized access has occurred"). Read-only, from the audit log.
import Router from '@koa/router';
import { recentSignIns, type AuditReader } from '../accounts/audit.ts';
import { render } from '../views/render.ts';
import type { AccountSession } from './account-session.ts';

/** How many sign-ins the page lists. */
const SHOWN = 20;

export function createAccountActivityRoutes(deps: { session: AccountSession; auditReader: AuditReader }) {
  const router = new Router({ prefix: '/account' });
  router.get('/sign-ins', async (ctx) => {
    const s = await deps.session.requireSignIn(ctx);
    if (!s) return;
    const signIns = await recentSignIns(deps.auditReader, s.accountId, SHOWN);
    ctx.type = 'html';
    ctx.body = render('account-sign-ins', {
      title: 'Recent sign-ins',
      signIns: signIns.map((e) => ({
        ...e,
        when: `${e.at.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
        result: e.outcome === 'success' ? 'Signed in' : 'Failed attempt',
      })),
    });
  });
  return router;
}
