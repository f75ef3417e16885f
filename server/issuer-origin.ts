// Every absolute URL Gatehouse prints (discovery, redirects, form actions, emails) comes from ISSUER.
// oidc-provider builds its URLs from the request (`ctx.href`: Host / X-Forwarded-Host), so a forged Host
// would poison discovery and anything cached in front of us. This middleware, first in the chain:
//   - pins the request's href, host and hostname to ISSUER's, whatever Host / X-Forwarded-Host say;
//   - turns an absolute-form request target (`GET http://evil.test/x HTTP/1.1`) into its path;
//   - drops X-Forwarded-Host / X-Forwarded-Port / Forwarded so nothing downstream can read them.
// With TRUST_PROXY Koa still takes the scheme (X-Forwarded-Proto, for Secure cookies) and the client IP
// (X-Forwarded-For) from the proxy: those are the only two things a proxy decides.
import type Koa from 'koa';
import type { Middleware } from 'koa';

/**
 * Pins `app`'s requests to ISSUER and returns the middleware that scrubs each request. The pinned
 * host, hostname and href are defined once on the app's request prototype (Koa makes every
 * ctx.request from it), not per request: redefining properties on each request object was a
 * measurable share of a token request.
 */
export function issuerOrigin(app: Koa, issuer: string): Middleware {
  const url = new URL(issuer);
  Object.defineProperties(app.request, {
    host: { value: url.host, configurable: true },
    hostname: { value: url.hostname, configurable: true },
    // Koa's href is protocol + host + path; the protocol may come from the proxy, the URL never does.
    href: {
      get(this: { originalUrl: string }) {
        return url.origin + this.originalUrl;
      },
      configurable: true,
    },
  });
  return (ctx, next) => {
    const target = ctx.req.url ?? '/';
    if (!target.startsWith('/')) {
      // RFC 9112 §3.2.2 absolute-form: keep the path and query, never the authority.
      let path = '/';
      try {
        const parsed = new URL(target);
        path = parsed.pathname + parsed.search;
      } catch {
        ctx.throw(400, 'The request target is not a path.');
      }
      ctx.req.url = path;
      ctx.url = path;
      (ctx as unknown as { originalUrl: string }).originalUrl = path;
      (ctx.request as unknown as { originalUrl: string }).originalUrl = path;
    }
    const headers = ctx.req.headers;
    headers.host = url.host;
    if (headers['x-forwarded-host'] !== undefined) delete headers['x-forwarded-host'];
    if (headers['x-forwarded-port'] !== undefined) delete headers['x-forwarded-port'];
    if (headers.forwarded !== undefined) delete headers.forwarded;
    return next();
  };
}
