// Headers for every page we render: no inline script (one hashed exception: form_post), no framing, no sniffing, no caching.
import type { Context, Middleware } from 'koa';

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  // https: for apps' logos (logo_uri, registered by the app); images can't run script.
  "img-src 'self' data: https:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Every response: never a sniffed content type; referrers only to our own origin in full. */
const NO_SNIFF = 'nosniff';
const REFERRER_POLICY = 'strict-origin-when-cross-origin';

export function securityHeaders(): Middleware {
  return async (ctx, next) => {
    // Set before the response is built: oidc-provider's form_post page adds the hash of its one
    // auto-submit script to this header (for that page only), so it runs under script-src 'self'.
    ctx.set('Content-Security-Policy', CSP);
    await next();
    ctx.set('X-Content-Type-Options', NO_SNIFF);
    ctx.set('Referrer-Policy', ctx.response.get('Referrer-Policy') || REFERRER_POLICY);
    // Non-pages drop the page policy, but keep one a route set for itself (a logo's `sandbox`).
    if (!ctx.response.is('html')) {
      if (ctx.response.get('Content-Security-Policy') === CSP) ctx.remove('Content-Security-Policy');
    }
    else {
      if (!ctx.response.get('Content-Security-Policy')) ctx.set('Content-Security-Policy', CSP);
      ctx.set('X-Frame-Options', 'DENY');
      ctx.set('Cache-Control', 'no-store');
    }
  };
}

/**
 * The JSON endpoints' headers (no page policy to add or remove): set once, before the response, on
 * Node's response itself (Koa's `ctx.set` builds two arrays and a closure per header; the token
 * endpoint's hot path).
 */
export function setApiHeaders(ctx: Context): void {
  ctx.res.setHeader('x-content-type-options', NO_SNIFF);
  ctx.res.setHeader('referrer-policy', REFERRER_POLICY);
}
