// Parses urlencoded and JSON bodies for our own routes (oidc-provider parses its own).
// Oversized → 413, malformed → 400, other types → 415; always a clear message, never a 500.
import type { Middleware } from 'koa';
import { MAX_BODY_BYTES } from '../accounts/security-constants.ts';

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
  return Buffer.concat(chunks).toString('utf8');
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
      try {
        ctx.request.body = raw === '' ? {} : JSON.parse(raw);
      } catch {
        throw new BodyError(400, 'The request body is not valid JSON.');
      }
    } else {
      try {
        const params = new URLSearchParams(raw);
        const body: Record<string, string> = {};
        // Repeated keys keep the first value: forms here never send lists.
        for (const [k, v] of params) if (!(k in body)) body[k] = v;
        ctx.request.body = body;
      } catch {
        throw new BodyError(400, 'The form data is malformed.');
      }
    }
    return next();
  };
}
