// The lane of the JSON endpoints programs call (token, introspection, revocation, discovery…): the
// request line and its id, the latency histogram, the API headers, the answer to an error, the check
// of the path and query text, and the fail-closed 503, around the provider's endpoints, as one
// middleware. The page lane composes the same steps as separate middlewares (app.ts); here each would
// be a layer of koa-compose with its own async frame and promise on the client-credentials hot path:
// the six layers were ~6–14 µs of a token's ~120 µs of server CPU (bench/cc-cpu.ts).
import type { Context, Middleware, Next } from 'koa';
import { arrivedAt } from './api-admission.ts';
import { checkRequestText } from './input-guard.ts';
import { setApiHeaders } from './security-headers.ts';
import { assignRequestId } from './request-log.ts';

export type ApiLaneSteps = {
  /** Writes the request line (server/request-log.ts requestLines). */
  logLine(ctx: Context, requestId: string, started: number, arrived: number | undefined): void;
  /** Records the request's latency (server/metrics.ts); `started` is from its arrival. */
  observe(ctx: Context, started: number): void;
  /** Answers a request whose handling threw (server/error-handler.ts errorAnswer). */
  answerError(ctx: Context, caught: unknown): Promise<void>;
  /** Replaces a 500 caused by a store outage with a 503 (app.ts). */
  failClosed(ctx: Context): void;
  /** The provider's endpoints, behind the client-authentication throttle. */
  endpoints: Middleware;
};

export function apiLane(steps: ApiLaneSteps): Middleware {
  return async (ctx: Context, next: Next) => {
    const requestId = assignRequestId(ctx);
    const arrived = arrivedAt(ctx.req);
    const started = performance.now();
    setApiHeaders(ctx);
    try {
      try {
        checkRequestText(ctx);
        await steps.endpoints(ctx, next);
        steps.failClosed(ctx);
      } catch (caught) {
        await steps.answerError(ctx, caught);
      }
    } finally {
      // A request that waited for admission counts from its arrival: that is the latency its client saw.
      steps.observe(ctx, arrived ?? started);
      steps.logLine(ctx, requestId, started, arrived);
    }
  };
}
