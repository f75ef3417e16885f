// Profile → "Recent sign-ins": a person's own recent sign-ins, successful and failed (reference:
// "to ensure no unauthorized access has occurred"), with the device and place as people read them
// (accounts/device-description.ts) rather than a raw User-Agent and address. Read-only, from the audit log.
import Router from '@koa/router';
import { recentSignIns, type AuditReader, type SignInRecord } from '../accounts/audit.ts';
import { describeUserAgent, deviceMessage, normalizeIp, placeMessage } from '../accounts/device-description.ts';
import type { MessageCode } from '../accounts/messages/language.ts';
import { render } from '../views/render.ts';
import type { AccountSession } from './account-session.ts';
import type { Csrf } from './csrf.ts';

/** How many sign-ins the page lists. */
const SHOWN = 20;

/** What a failed attempt got wrong, as the person would put it (a catalog code, in the reader's language on the page). */
function resultOf(e: SignInRecord): MessageCode {
  if (e.outcome === 'success') return 'page.sessions.signed_in';
  if (e.action === 'session.mfa') return 'page.account_sign_ins.failed_code';
  if (e.reason === 'session.invalid_credentials') return 'page.account_sign_ins.failed_password';
  return 'page.account_sign_ins.failed';
}

export function createAccountActivityRoutes(deps: { session: AccountSession; csrf: Csrf; auditReader: AuditReader }) {
  const router = new Router({ prefix: '/account' });
  router.get('/sign-ins', async (ctx) => {
    const s = await deps.session.requireSignIn(ctx);
    if (!s) return;
    const signIns = await recentSignIns(deps.auditReader, s.accountId, SHOWN);
    ctx.type = 'html';
    ctx.body = render('account-sign-ins', {
      title: 'page.title.recent_sign_ins',
      csrf: deps.csrf.tokenFor(s.sessionUid),
      signIns: signIns.map((e) => {
        const ip = normalizeIp(e.ip);
        return {
          outcome: e.outcome,
          at: e.at,
          result: resultOf(e),
          ip,
          place: placeMessage(ip),
          device: deviceMessage(describeUserAgent(e.userAgent)),
        };
      }),
    });
  });
  return router;
}
