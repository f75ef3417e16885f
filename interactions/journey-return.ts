// Continuity: sign-up, forgotten credentials and invitations started from an app's sign-in page end in
// that app's pending sign-in, not in the profile. The sign-in page's links carry the interaction uid
// (?interaction=<uid>); it is remembered in a signed cookie of this browser for the interaction's
// lifetime (a reset link opened from the inbox in the same browser still finds it). When the journey
// finishes, a short-lived signed ticket naming the interaction, the account and the journey is the
// way back: /interaction/<uid>/resume checks it there, where the interaction's own cookie proves it
// is the same browser (steps/resume-journey.ts). An interaction that expired meanwhile: no ticket,
// the journey's own page (which links to the profile) is shown instead.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import { INTERACTION_TTL, JOURNEY_RETURN_TICKET_TTL } from '../accounts/security-constants.ts';

const COOKIE = 'gh_return';
const UID = /^[\w-]{10,64}$/;
/** The pages where a journey starts from the sign-in page's links. */
const STARTS = ['/signup', '/forgot', '/invitations/'];

export type Journey = 'sign_up' | 'reset';
export type ReturnTicket = { uid: string; journey: Journey; accountId: string; exp: number };

export function createJourneyReturn(deps: { key: Buffer; provider: Provider; clock?: () => number }) {
  const now = () => Math.floor((deps.clock ?? Date.now)() / 1000);
  const mac = (payload: string) => createHmac('sha256', deps.key).update(payload).digest('base64url');

  function sign(ticket: ReturnTicket): string {
    const payload = Buffer.from(JSON.stringify(ticket)).toString('base64url');
    return `${payload}.${mac(payload)}`;
  }

  /** The ticket's content when it is genuine, unexpired and for this interaction; otherwise undefined. */
  function verify(value: unknown, uid: string): ReturnTicket | undefined {
    if (typeof value !== 'string' || value.length > 1000) return undefined;
    const [payload, signature] = value.split('.');
    if (!payload || !signature) return undefined;
    const expected = Buffer.from(mac(payload));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const ticket = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as ReturnTicket;
      return ticket.uid === uid && ticket.exp >= now() && (ticket.journey === 'sign_up' || ticket.journey === 'reset') && typeof ticket.accountId === 'string' ? ticket : undefined;
    } catch {
      return undefined;
    }
  }

  /** GET /signup?interaction=<uid> (and /forgot, /invitations/…): remember the pending sign-in in this browser. */
  const remember: Middleware = async (ctx, next) => {
    const uid = ctx.query.interaction;
    if (ctx.method === 'GET' && typeof uid === 'string' && UID.test(uid) && STARTS.some((p) => ctx.path === p || (p.endsWith('/') && ctx.path.startsWith(p)))) {
      ctx.cookies.set(COOKIE, uid, { signed: true, httpOnly: true, sameSite: 'lax', path: '/', maxAge: INTERACTION_TTL * 1000 });
    }
    return next();
  };

  /**
   * At a journey's end: the URL that resumes the remembered sign-in as `accountId`, or undefined when
   * there is none or it has expired (the caller then shows its own page). The cookie is used once.
   */
  async function resumeUrl(ctx: Context, accountId: string, journey: Journey): Promise<string | undefined> {
    const uid = ctx.cookies.get(COOKIE, { signed: true });
    if (!uid || !UID.test(uid)) return undefined;
    ctx.cookies.set(COOKIE, null, { path: '/' });
    const interaction = await deps.provider.Interaction.find(uid).catch(() => undefined);
    if (!interaction || interaction.exp < Math.floor(Date.now() / 1000)) return undefined;
    return `/interaction/${uid}/resume?ticket=${encodeURIComponent(sign({ uid, journey, accountId, exp: now() + JOURNEY_RETURN_TICKET_TTL }))}`;
  }

  /** Whether this browser started a journey from a sign-in that has expired since (for a friendlier message). */
  const hadReturn = (ctx: Context) => Boolean(ctx.cookies.get(COOKIE, { signed: true }));

  return { remember, resumeUrl, verify, hadReturn };
}

export type JourneyReturn = ReturnType<typeof createJourneyReturn>;
