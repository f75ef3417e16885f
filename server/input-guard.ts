// Refuses text no route can use, for every route (ours and oidc-provider's), before any route runs:
//   - the path and the query string must percent-decode to valid UTF-8 without NUL;
//   - each path segment is checked separately, so an encoded "/" stays a literal character.
// Bodies of our own routes are checked by body-parser.ts; oidc-provider's by its lookups (adapters).
import type { Context, Middleware } from 'koa';
import { decodeComponent, parseFormStrict } from './strict-text.ts';

/** Throws a 400 ValidationError when the path or the query string is not text a route can use. */
export function checkRequestText(ctx: Context): void {
  for (const segment of ctx.path.split('/')) decodeComponent(segment, 'address');
  parseFormStrict(ctx.querystring, 'query string');
}

export function inputGuard(): Middleware {
  return (ctx, next) => {
    checkRequestText(ctx);
    return next();
  };
}
