// Parses urlencoded and JSON bodies for our own routes (oidc-provider parses its own).
// Oversized → 413, malformed → 400, other types → 415; always a clear message, never a 500.
// Text must be valid UTF-8 without NUL (strict-text.ts), inside JSON strings and form values too.
import type { Middleware } from 'koa';
import { MAX_BODY_BYTES } from '../accounts/security-constants.ts';
import { assertCleanJson, decodeUtf8, parseFormStrict } from './strict-text.ts';

declare module 'koa' {
  interface Request {
    body?: unknown;
    /** The body text as received, for routes that verify a signature over its exact bytes (push devices). */
    rawBody?: string;
  }
}

class BodyError extends Error {
  readonly status: number;
  readonly expose = true;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

async function readBody(req: NodeJS.ReadableStream & { headers: Record<string, unknown> }, limit: number) {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new BodyError(413, 'The request body is too large.');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyError(413, 'The request body is too large.');
    chunks.push(chunk as Buffer);
  }
  return decodeUtf8(Buffer.concat(chunks), 'body');
}

export function bodyParser(limit = MAX_BODY_BYTES): Middleware {
  return async (ctx, next) => {
    if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(ctx.method) || ctx.request.body !== undefined) return next();
    const hasBody = Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '';
    if (!hasBody) {
      ctx.request.body = {};
      return next();
    }
    const type = ctx.request.is('urlencoded', 'json');
    if (!type) throw new BodyError(415, 'Send the form as application/x-www-form-urlencoded or application/json.');
    const raw = await readBody(ctx.req as never, limit);
    ctx.request.rawBody = raw;
    if (type === 'json') {
      let parsed: unknown;
      try {
        parsed = raw === '' ? {} : JSON.parse(raw);
      } catch {
        throw new BodyError(400, 'The request body is not valid JSON.');
      }
      assertCleanJson(parsed, 'body');
      ctx.request.body = parsed;
    } else {
      // Repeated keys keep the first value: forms here never send lists.
      ctx.request.body = parseFormStrict(raw, 'form');
    }
    return next();
  };
}
