// Throttles client authentication at /token, introspection and revocation (accounts/throttle.ts):
//   - before the provider: refuses with 429 + Retry-After while the client IP or the client id named
//     in the request has too many recent failures (the right secret is refused the same way);
//   - after it: a 401 invalid_client counts one failure for that IP and client id.
// The client id may be in the form body (client_secret_post), so the body is read here and handed to
// oidc-provider as an already-read body, which it parses exactly as its own (its documented fallback).
import type { Context, Middleware } from 'koa';
import { ThrottledError, type ThrottlePolicy } from '../accounts/throttle.ts';
import { PROVIDER_ROUTES } from './provider-routes.ts';
import { asRequestError, STORE_RETRY_AFTER_SECONDS, StoreUnavailable } from './error-handler.ts';

const CLIENT_AUTH_PATHS = new Set<string>([PROVIDER_ROUTES.token, PROVIDER_ROUTES.introspection, PROVIDER_ROUTES.revocation]);
/** oidc-provider's own body limit: larger bodies are left for it to refuse. */
const BODY_LIMIT = 56 * 1024;

const COLON = 0x3a;
/** A client id needs decoding (RFC 6749 §2.3.1: form-urlencoded) only when it has an escape or a plus. */
const ENCODED = /[%+]/;

function basicClientId(ctx: Context): string | undefined {
  const header = ctx.get('authorization');
  if (!/^basic /i.test(header)) return undefined;
  // Only the id is turned into a string: the secret stays in the buffer, which the provider decodes again.
  const decoded = Buffer.from(header.slice(6).trim(), 'base64');
  const colon = decoded.indexOf(COLON);
  if (colon <= 0) return undefined;
  const id = decoded.toString('utf8', 0, colon);
  if (!ENCODED.test(id)) return id;
  try {
    return decodeURIComponent(id.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

async function formClientId(ctx: Context): Promise<string | undefined> {
  const length = ctx.request.length;
  if (!ctx.is('application/x-www-form-urlencoded') || length === undefined || length > BODY_LIMIT || !ctx.req.readable) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  (ctx.req as typeof ctx.req & { body?: Buffer }).body = raw;
  return new URLSearchParams(raw.toString('utf8')).get('client_id') ?? undefined;
}

/**
 * `endpoints` (the provider's middleware) behind the throttle. Other paths go straight to them, and a
 * clean client's token request adds no async frame: its check is synchronous and the failure count
 * waits on the endpoints' promise (the client-credentials hot path).
 */
export function clientAuthThrottle(policy: ThrottlePolicy['clientAuth'], endpoints: Middleware): Middleware {
  const countFailure = (ctx: Context, clientId: string | undefined): Promise<void> | undefined => {
    const body = ctx.body as { error?: unknown } | undefined;
    if (ctx.status !== 401 || body?.error !== 'invalid_client') return undefined;
    // A failure that can't be counted (store outage) leaves the provider's 401 as it is.
    return policy.failed({ clientId, ip: ctx.ip }).catch((err) => {
      if (!(asRequestError(err) instanceof StoreUnavailable)) throw err;
    });
  };
  const waitThenRun = async (ctx: Context, next: () => Promise<unknown>, clientId: string | undefined, pending: Promise<void>) => {
    try {
      await pending;
    } catch (err) {
      if (err instanceof ThrottledError) return answer(ctx, 429, err.retryAfterSeconds, `too many failed client authentications; retry after ${err.retryAfterSeconds} seconds`);
      // The throttle's store is down: the OAuth answer the provider gives for its own store outages.
      if (asRequestError(err) instanceof StoreUnavailable) return answer(ctx, 503, STORE_RETRY_AFTER_SECONDS, new StoreUnavailable().message);
      throw err;
    }
    await endpoints(ctx, next);
    await countFailure(ctx, clientId);
  };
  const run = (ctx: Context, next: () => Promise<unknown>, named: string | undefined) => {
    const clientId = named?.slice(0, 200);
    const pending = policy.check({ clientId, ip: ctx.ip });
    if (pending) return waitThenRun(ctx, next, clientId, pending);
    return endpoints(ctx, next).then(() => countFailure(ctx, clientId));
  };
  return (ctx, next) => {
    if (ctx.method !== 'POST' || !CLIENT_AUTH_PATHS.has(ctx.path)) return endpoints(ctx, next);
    const basic = basicClientId(ctx);
    // A client id in the form body: read it first (async).
    return basic === undefined ? formClientId(ctx).then((id) => run(ctx, next, id)) : run(ctx, next, basic);
  };
}

function answer(ctx: Context, status: number, retryAfterSeconds: number, description: string) {
  ctx.status = status;
  ctx.set('Retry-After', String(retryAfterSeconds));
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: 'temporarily_unavailable', error_description: description };
}
