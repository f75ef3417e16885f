// Every absolute URL Gatehouse prints (discovery, redirects, form actions, emails) comes from ISSUER.
// oidc-provider builds its URLs from the request (`ctx.href`: Host / X-Forwarded-Host), so a forged Host
// would poison discovery and anything cached in front of us. This middleware, first in the chain:
//   - pins the request's href, host and hostname to ISSUER's, whatever Host / X-Forwarded-Host say;
//   - turns an absolute-form request target (`GET http://evil.test/x HTTP/1.1`) into its path;
//   - drops X-Forwarded-Host / X-Forwarded-Port / Forwarded so nothing downstream can read them.
// With TRUST_PROXY Koa still takes the scheme (X-Forwarded-Proto, for Secure cookies) and the client IP
// (X-Forwarded-For) from the proxy: those are the only two things a proxy decides.
import type { Middleware } from 'koa';

export function issuerOrigin(issuer: string): Middleware {
  const url = new URL(issuer);
  return async (ctx, next) => {
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
    ctx.req.headers.host = url.host;
    delete ctx.req.headers['x-forwarded-host'];
    delete ctx.req.headers['x-forwarded-port'];
    delete ctx.req.headers.forwarded;
    for (const [key, value] of [['host', url.host], ['hostname', url.hostname]] as const) {
      Object.defineProperty(ctx.request, key, { value, configurable: true });
    }
    // Koa's href is protocol + host + path; the protocol may come from the proxy, the URL never does.
    Object.defineProperty(ctx.request, 'href', { get: () => url.origin + ctx.originalUrl, configurable: true });
    return next();
  };
}
