// Parses urlencoded and JSON bodies for our own routes (oidc-provider parses its own), and
// multipart/form-data on the few upload routes that allow it (a logo), with their own size limit.
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
    /** Files of a multipart/form-data upload (upload routes only), by field name. */
    files?: Record<string, UploadedFile>;
  }
}

export type UploadedFile = { filename: string; type: string; bytes: Buffer };

class BodyError extends Error {
  readonly status: number;
  readonly expose = true;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

async function readBytes(req: NodeJS.ReadableStream & { headers: Record<string, unknown> }, limit: number) {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new BodyError(413, 'The request body is too large.');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyError(413, 'The request body is too large.');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** RFC 7578 multipart/form-data: text fields into `fields`, file parts into `files` (first of each name). */
export function parseMultipart(body: Buffer, contentType: string): { fields: Record<string, string>; files: Record<string, UploadedFile> } {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!boundary) throw new BodyError(400, 'The form data is malformed.');
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const fields: Record<string, string> = {};
  const files: Record<string, UploadedFile> = {};
  let start = body.indexOf(delimiter);
  if (start < 0) throw new BodyError(400, 'The form data is malformed.');
  for (;;) {
    start += delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break; // the closing delimiter
    const headerEnd = body.indexOf('\r\n\r\n', start);
    const next = body.indexOf(delimiter, start);
    if (headerEnd < 0 || next < 0 || headerEnd > next) throw new BodyError(400, 'The form data is malformed.');
    const headers = body.subarray(start, headerEnd).toString('utf8');
    const content = body.subarray(headerEnd + 4, next - 2); // minus the CRLF before the next delimiter
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
    if (name !== undefined) {
      if (filename !== undefined) files[name] ??= { filename, type: /content-type:\s*([^\r\n;]+)/i.exec(headers)?.[1]?.trim() ?? 'application/octet-stream', bytes: Buffer.from(content) };
      else if (!(name in fields)) fields[name] = decodeUtf8(content, 'form');
    }
    start = next;
  }
  return { fields, files };
}

export function bodyParser(limit = MAX_BODY_BYTES, uploads: { paths: string[]; limit: number } = { paths: [], limit }): Middleware {
  return async (ctx, next) => {
    if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(ctx.method) || ctx.request.body !== undefined) return next();
    const hasBody = Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '';
    if (!hasBody) {
      ctx.request.body = {};
      return next();
    }
    const upload = uploads.paths.includes(ctx.path);
    if (upload && ctx.request.is('multipart')) {
      const parsed = parseMultipart(await readBytes(ctx.req as never, uploads.limit), ctx.get('content-type'));
      ctx.request.body = parsed.fields;
      ctx.request.files = parsed.files;
      return next();
    }
    const type = ctx.request.is('urlencoded', 'json');
    if (!type) throw new BodyError(415, 'Send the form as application/x-www-form-urlencoded or application/json.');
    const raw = decodeUtf8(await readBytes(ctx.req as never, upload ? uploads.limit : limit), 'body');
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
