// "Forgot your credentials" and the password reset page.
//   GET  /forgot          one field: username or email address; "Request credentials"
//   POST /forgot          always the same page, status and timing: the lookup and the emails run
//                         after the response; only the mail server's health is checked before it
//   GET  /reset/:token    while the link is valid (never spends it: mail scanners open links): moves the
//                         token into a short-lived HttpOnly cookie and redirects to /reset, so it leaves
//                         the address bar, the history and any Referer; Referrer-Policy no-referrer
//   GET  /reset           "Reset your password" for the token in the cookie
//   POST /reset           the new password under the rules + history; spends the link, clears the cookie
//   POST /reset/:token    the same, for a form rendered before this change (token in the path)
import Router from '@koa/router';
import { PASSWORD_RESET_COOKIE_SECONDS } from '../../accounts/security-constants.ts';
import type { Context } from 'koa';
import { attempt } from '../../accounts/errors.ts';
import { forgotIdentifier, type ForgotCredentials } from '../../accounts/forgot-credentials.ts';
import type { ErrorLogger } from '../../accounts/mail-delivery.ts';
import type { JourneyReturn } from '../journey-return.ts';
import type { Mailer } from '../../accounts/mailer.ts';
import type { PasswordReset } from '../../accounts/password-reset.ts';
import type { BackgroundJobs } from './background.ts';
import { assertSameOrigin, errorMessages, formInput, page, requestInfo, throttleRefusal } from './http.ts';
import type { ThrottlePolicy } from '../../accounts/throttle.ts';

/** The tokenless reset page, and the cookie that holds the opened link's token. */
const RESET_PATH = '/reset';
const RESET_COOKIE = 'gatehouse.reset';

export function createForgotRoutes(deps: {
  forgot: ForgotCredentials;
  reset: PasswordReset;
  mailer: Mailer;
  jobs: BackgroundJobs;
  issuer: string;
  logger?: ErrorLogger;
  /** Per IP and per typed identifier (accounts/throttle.ts); counted whether or not an account matches. */
  throttle?: Pick<ThrottlePolicy, 'forgot'>;
  /** Back to the app's sign-in when the journey started there (interactions/journey-return.ts). */
  journeys?: Pick<JourneyReturn, 'resumeUrl'>;
}) {
  const router = new Router();
  const showForm = (ctx: Context, model: Record<string, unknown> = {}, status = 200) =>
    page(ctx, 'forgot', { title: 'page.title.forgot_your_credentials', ...model }, status);

  router.get('/forgot', (ctx) => showForm(ctx));

  router.post('/forgot', async (ctx) => {
    assertSameOrigin(ctx, deps.issuer);
    const typed = formInput(ctx.request.body, 300).identifier ?? '';
    const identifier = forgotIdentifier(typed);
    if (!identifier) {
      const errors = { identifier: [{ code: 'forgot.identifier_required', level: 'error' }] };
      return showForm(ctx, { form: { identifier: typed.slice(0, 254) }, errors }, 400);
    }
    const refused = deps.throttle ? await throttleRefusal(ctx, () => deps.throttle!.forgot(identifier, requestInfo(ctx))) : undefined;
    if (refused) return showForm(ctx, { form: { identifier }, messages: refused }, 429);
    // The same check whatever was typed, so it reveals nothing about accounts.
    try {
      await deps.mailer.check?.();
    } catch (err) {
      deps.logger?.error({ err }, 'mail server unavailable');
      const messages = [{ code: 'mail.send_failed', level: 'error' }];
      return showForm(ctx, { form: { identifier }, messages }, 503);
    }
    const context = requestInfo(ctx);
    deps.jobs.run('forgot-credentials', () => deps.forgot.request(identifier, context));
    page(ctx, 'forgot-sent', { title: 'page.title.check_your_email' });
  });

  const resetPage = (ctx: Context, token: string, model: Record<string, unknown>, status = 200) =>
    page(ctx, 'reset-password', { title: 'page.title.reset_your_password', action: `/reset/${encodeURIComponent(token)}`, ...model }, status);
  const invalid = (ctx: Context) => page(ctx, 'reset-invalid', { title: 'page.title.reset_your_password' }, 410);

  const cookieOptions = { signed: true, httpOnly: true, sameSite: 'lax' as const, path: RESET_PATH, secure: deps.issuer.startsWith('https:') };
  const tokenCookie = (ctx: Context) => ctx.cookies.get(RESET_COOKIE, { signed: true }) ?? '';
  const clearTokenCookie = (ctx: Context) => ctx.cookies.set(RESET_COOKIE, null, cookieOptions);

  router.get('/reset/:token', async (ctx) => {
    ctx.set('Referrer-Policy', 'no-referrer');
    const found = await deps.reset.check(ctx.params.token);
    if (!found) return invalid(ctx);
    // Lax, not Strict: the link is opened from a mail client (cross-site), and the redirect must carry it.
    ctx.cookies.set(RESET_COOKIE, ctx.params.token, { ...cookieOptions, maxAge: PASSWORD_RESET_COOKIE_SECONDS * 1000 });
    ctx.status = 303;
    ctx.redirect(RESET_PATH);
  });

  router.get(RESET_PATH, async (ctx) => {
    ctx.set('Referrer-Policy', 'no-referrer'); // the page of a live reset: nothing about it leaves with a link
    const found = await deps.reset.check(tokenCookie(ctx));
    if (!found) return invalid(ctx);
    page(ctx, 'reset-password', { title: 'page.title.reset_your_password', action: RESET_PATH, username: found.username });
  });

  router.post(RESET_PATH, async (ctx) => {
    ctx.set('Referrer-Policy', 'no-referrer');
    const token = tokenCookie(ctx);
    const password = formInput(ctx.request.body, 300).password ?? '';
    const done = await attempt(() => deps.reset.complete(token, password, requestInfo(ctx)));
    if (done.ok) {
      clearTokenCookie(ctx);
      return page(ctx, 'reset-done', { title: 'page.title.password_reset', username: done.value.username });
    }
    if (done.error.code === 'reset.link_invalid') {
      clearTokenCookie(ctx);
      return invalid(ctx);
    }
    const found = await deps.reset.check(token);
    if (!found) return invalid(ctx);
    page(ctx, 'reset-password', { title: 'page.title.reset_your_password', action: RESET_PATH, username: found.username, ...errorMessages(done.error) }, done.error.status);
  });

  // Cross-site posts are refused by server/cross-site-guard.ts (Sec-Fetch-Site decides when a
  // no-referrer page makes the browser send "Origin: null").
  router.post('/reset/:token', async (ctx) => {
    ctx.set('Referrer-Policy', 'no-referrer');
    const token = ctx.params.token;
    const password = formInput(ctx.request.body, 300).password ?? '';
    const done = await attempt(() => deps.reset.complete(token, password, requestInfo(ctx)));
    if (!done.ok) {
      if (done.error.code === 'reset.link_invalid') return invalid(ctx);
      const found = await deps.reset.check(token);
      if (!found) return invalid(ctx);
      return resetPage(ctx, token, { username: found.username, ...errorMessages(done.error) }, done.error.status);
    }
    const resume = await deps.journeys?.resumeUrl(ctx, done.value.accountId, 'reset');
    if (resume) {
      ctx.status = 303;
      return ctx.redirect(resume);
    }
    page(ctx, 'reset-done', { title: 'page.title.password_reset', username: done.value.username });
  });

  return router;
}
