// One JSON line per request at `info`: what an operator greps for when a client reports a failure.
// Only the route template is logged, never the raw path or query: paths and queries carry reset
// tokens, interaction ids and authorization codes.
import { randomUUID } from 'node:crypto';
import type { Context, Middleware, Next } from 'koa';
import type { Logger } from './logger.ts';
import { arrivedAt } from './api-admission.ts';

type WithOidc = { oidc?: { route?: string; client?: { clientId?: string } }; _matchedRoute?: string };

/** oidc-provider's route name, or the router's template (`/interaction/:uid`), else 'unmatched'. */
export function routeTemplate(ctx: Context): string {
  const c = ctx as unknown as WithOidc;
  return String(c.oidc?.route ?? c._matchedRoute ?? 'unmatched');
}

/** A new request id, also sent back to the client (X-Request-Id). */
export function assignRequestId(ctx: Context): string {
  const requestId = randomUUID();
  ctx.res.setHeader('x-request-id', requestId); // first thing on every request: nothing sent yet
  return requestId;
}

/**
 * The writer of request lines: call it when the request is done, with its id and `performance.now()`
 * from when its middleware started (`arrived` is when it arrived, if it waited for admission first).
 */
export function requestLines(logger: Logger): (ctx: Context, requestId: string, started: number, arrived: number | undefined) => void {
  // These lines hold only the fields below, none of them secret, so they skip the logger's redaction:
  // its wildcard paths cost ~10 µs per line, a few per cent of a token request.
  const lines = logger.child({}, { redact: [] });
  return (ctx, requestId, started, arrived) => {
    // The client is known once oidc-provider authenticated it (token, introspection, revocation, userinfo…).
    const clientId = (ctx as unknown as WithOidc).oidc?.client?.clientId;
    lines.info(
      {
        requestId,
        method: ctx.method,
        route: routeTemplate(ctx),
        status: ctx.status,
        // From arrival, as its client waited; queuedMs: the part of it spent waiting for admission.
        ms: tenths(performance.now() - (arrived ?? started)),
        ...(arrived === undefined ? {} : { queuedMs: tenths(started - arrived) }),
        ...(clientId ? { clientId } : {}),
      },
      'request',
    );
  };
}

/** `around` runs the rest of the request with its id (e.g. inside a per-request context). */
export function requestLog(logger: Logger, around: (requestId: string, next: Next) => Promise<unknown> = (_id, next) => next()): Middleware {
  const line = requestLines(logger);
  return async (ctx, next) => {
    const requestId = assignRequestId(ctx);
    const arrived = arrivedAt(ctx.req);
    const started = performance.now();
    try {
      await around(requestId, next);
    } finally {
      line(ctx, requestId, started, arrived);
    }
  };
}

const tenths = (ms: number) => Math.round(ms * 10) / 10;
