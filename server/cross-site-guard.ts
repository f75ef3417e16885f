// Refuses state-changing browser requests that another site started (login CSRF, forced sign-out,
// forged profile and admin changes), before any route runs. CSRF tokens stay where they are; this is
// the second, generic line (OWASP CSRF Cheat Sheet: "Verifying Origin With Standard Headers",
// Fetch Metadata). A POST/PUT/PATCH/DELETE is refused (403, a page saying what happened) when
//   - Sec-Fetch-Site is `cross-site` or `same-site` (a sibling subdomain is another site here), or
//   - without Sec-Fetch-Site (older browsers): Origin is present and is not ISSUER's origin (`null` included).
//   Sec-Fetch-Site: same-origin wins over "Origin: null", which no-referrer pages (the reset page) cause.
// A request with neither header (curl, a server-side client) has no ambient cookies to abuse.
// Not checked, on purpose:
//   - /api/…, /authenticator/…: bearer tokens and signed device requests, never cookies;
//   - oidc-provider's protocol endpoints (/token, /request, /me, introspection, revocation, and /auth
//     and /session/end with ALLOW_POST_AUTHORIZATION): relying parties call them cross-origin by design.
//     The provider's own confirm page (/session/end/confirm) posts same-origin and IS checked.
//   - /federation/callback is GET only: Gatehouse asks upstream IdPs for the query response mode, so a
//     cross-site POST there (form_post) is refused like any other. form_post could not work anyway:
//     the interaction cookie is SameSite=Lax and would not come along on a cross-site POST.
import type { Middleware } from 'koa';
import { DomainError } from '../accounts/errors.ts';
import { isProviderPath } from './provider-routes.ts';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const EXEMPT_PREFIXES = ['/api/', '/authenticator/'];
const PROVIDER_FORMS = new Set(['/session/end/confirm']);

export function isCrossSite(headers: { origin?: string; secFetchSite?: string }, issuerOrigin: string): boolean {
  // Fetch Metadata, when the browser sends it, decides: a no-referrer page makes same-origin posts say "Origin: null".
  if (headers.secFetchSite) return headers.secFetchSite === 'cross-site' || headers.secFetchSite === 'same-site';
  return headers.origin !== undefined && headers.origin !== '' && headers.origin !== issuerOrigin;
}

export function crossSiteGuard(issuer: string): Middleware {
  const issuerOrigin = new URL(issuer).origin;
  return async (ctx, next) => {
    if (!STATE_CHANGING.has(ctx.method)) return next();
    if (EXEMPT_PREFIXES.some((p) => ctx.path.startsWith(p))) return next();
    if (isProviderPath(ctx.path) && !PROVIDER_FORMS.has(ctx.path)) return next();
    if (isCrossSite({ origin: ctx.get('origin') || undefined, secFetchSite: ctx.get('sec-fetch-site') || undefined }, issuerOrigin)) {
      throw new DomainError('request.cross_site', { status: 403 });
    }
    return next();
  };
}
