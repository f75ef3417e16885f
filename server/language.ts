// The reader's language for every page and email of a request (issue 12): the application's
// ui_locales (applied by the interaction routes once the interaction is loaded), then the language the
// person picked with the language control (a cookie), then Accept-Language, then English.
// Also the language control's own route, POST /language, which works without JavaScript.
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { formatDate, formatNumber, LANGUAGES, translate } from '../accounts/messages/catalog.ts';
import { chooseLanguage, supportedTag } from '../accounts/messages/negotiate.ts';
import { inLanguage, useTranslations, type RequestLanguage } from '../views/language.ts';
import { isProviderPath, PROVIDER_ROUTES } from './provider-routes.ts';

export const LANGUAGE_COOKIE = 'gatehouse.lang';
/** A picked language is a preference, not a secret: remembered for a year. */
const LANGUAGE_COOKIE_MAX_AGE_MS = 365 * 24 * 60 * 60 * 1000;

// The views render with the catalog; handed over once, because views import nothing.
useTranslations({
  languages: LANGUAGES.map((l) => ({ tag: l.tag, name: l.name })),
  translate: (tag, key, vars) => translate(tag, key, vars as never),
  formatDate,
  formatNumber,
});

/** A same-site path to come back to: never another origin, never a protocol-relative URL. */
export function safeReturnPath(value: unknown): string {
  const path = typeof value === 'string' ? value : '';
  return /^\/(?![/\\])[^\s]*$/.test(path) && path.length <= 2000 ? path : '/';
}

/** Where the language control sends the person back: this page, or for a form post, the page it came from. */
function returnPathOf(ctx: Context): string {
  // A protocol endpoint's query is the app's request (and may carry an address it never registered):
  // never echo it into the page; the endpoint's own path, or the home page for /auth.
  if (isProviderPath(ctx.path)) return ctx.path === PROVIDER_ROUTES.authorization ? '/' : ctx.path;
  if (ctx.method === 'GET') return ctx.originalUrl;
  const interaction = /^\/interaction\/[A-Za-z0-9_-]+/.exec(ctx.path);
  return interaction ? interaction[0] : ctx.path;
}

export function requestLanguage(): Middleware {
  return async (ctx, next) => {
    const [picked, on] = (ctx.cookies.get(LANGUAGE_COOKIE) ?? '').split('.');
    const inputs = { picked: picked || undefined, pickedOn: on || undefined, acceptLanguage: ctx.get('accept-language') };
    const language: RequestLanguage = {
      tag: chooseLanguage(inputs),
      refine: (uiLocales, interaction) => chooseLanguage({ ...inputs, uiLocales, interaction }),
      returnTo: returnPathOf(ctx),
    };
    ctx.state.language = language;
    await inLanguage(language, async () => {
      await next();
    });
    if (ctx.response.is('html')) {
      ctx.set('Content-Language', language.tag);
      ctx.vary('Accept-Language');
      ctx.vary('Cookie');
    }
  };
}

/** POST /language (lang, return_to): the language control on every page. */
export function createLanguageRoutes(options: {
  /** Also remembers the pick on the signed-in person's account (the emails others cause to them use it). */
  remember?: (ctx: Context, tag: string) => Promise<void>;
} = {}) {
  const router = new Router();
  router.post('/language', async (ctx) => {
    const body = (ctx.request as { body?: Record<string, unknown> }).body ?? {};
    const tag = typeof body.lang === 'string' ? supportedTag(body.lang) : undefined;
    if (tag) {
      await options.remember?.(ctx, tag);
      // "<tag>" or "<tag>.<interaction uid>": a pick made on a sign-in's own page outranks that app's ui_locales.
      const on = /^\/interaction\/([A-Za-z0-9_-]{1,100})/.exec(safeReturnPath(body.return_to))?.[1];
      ctx.cookies.set(LANGUAGE_COOKIE, on ? `${tag}.${on}` : tag, {
        httpOnly: true,
        sameSite: 'lax',
        maxAge: LANGUAGE_COOKIE_MAX_AGE_MS,
        overwrite: true,
        signed: false,
      });
    }
    ctx.status = 303;
    ctx.redirect(safeReturnPath(body.return_to));
  });
  return router;
}
