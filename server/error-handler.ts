// One place decides how errors on our own routes look: a Gatehouse page for browsers (plain words,
// a way back, the request id), `{code, message}` for API clients. 4xx carry their message; 5xx are
// logged and shown generically, never a stack.
import type { Context, Middleware } from 'koa';
import { DomainError, ValidationError } from '../accounts/errors.ts';
import { explainProviderError, renderErrorPage, type WayBack } from './error-pages.ts';
import { isRejectedValue, isStoreUnavailable } from '../adapters/store-errors.ts';
import { message as message_en } from '../accounts/messages/catalog.ts';
import { translatorFor } from '../views/language.ts';
import type { Logger } from './logger.ts';

type HttpishError = Error & { status?: number; statusCode?: number; expose?: boolean; error?: string; error_description?: string };

type ErrorOptions = { wayBack?: (ctx: Context) => Promise<WayBack | undefined> };

/** Answers a request whose handling threw `caught`: the status, and a page or `{code, message}`. */
export function errorAnswer(logger: Logger, options: ErrorOptions = {}): (ctx: Context, caught: unknown) => Promise<void> {
  return async (ctx, caught) => {
    const err = asRequestError(caught);
    const e = err as HttpishError;
    let status = e instanceof DomainError ? e.status : (e.status ?? e.statusCode ?? 500);
    if (status < 400 || status > 599) status = 500;
    const { t } = translatorFor();
    let code: string;
    let message: string;
    if (e instanceof DomainError) {
      code = e.code;
      // Pages speak the reader's language; the JSON API keeps the English text.
      message = t(e.code, e.vars);
    } else if (e.error && status < 500) {
      // oidc-provider errors (e.g. SessionNotFound when the interaction cookie is gone): our words, not its.
      code = e.error;
      message = explainProviderError(e.error, e.error_description);
    } else if (status < 500 && e.expose !== false) {
      code = `http.${status}`;
      message = e.message;
    } else {
      code = 'server_error';
      message = t('server_error');
      logger.error({ err: e, path: ctx.path }, 'request failed');
    }
    ctx.status = status;
    if (e instanceof StoreUnavailable) {
      ctx.set('Retry-After', String(STORE_RETRY_AFTER_SECONDS));
      logger.warn({ err: (caught as Error)?.message, path: ctx.path }, 'store unavailable');
    }
    if (ctx.accepts('html', 'json') === 'json' || ctx.path.startsWith('/api/')) {
      const english = e instanceof DomainError ? e.message : code === 'server_error' ? message_en('server_error') : message;
      ctx.body = { code, message: english, ...(e instanceof ValidationError ? { details: e.violations.map(({ field, code, message }) => ({ field, code, message })) } : {}) };
    } else {
      const back = options.wayBack ? await options.wayBack(ctx).catch(() => undefined) : undefined;
      ctx.type = 'html';
      ctx.body = renderErrorPage({ status, code, description: message, back });
    }
  };
}

export function errorHandler(logger: Logger, options: ErrorOptions = {}): Middleware {
  const answer = errorAnswer(logger, options);
  return async (ctx, next) => {
    try {
      await next();
    } catch (caught) {
      await answer(ctx, caught);
    }
  };
}

/** Unknown paths: a styled 404 page for browsers (API clients get `{code, message}`). */
export function notFoundPage(): Middleware {
  return async (ctx, next) => {
    await next();
    if (ctx.status !== 404 || ctx.body != null || !['GET', 'HEAD'].includes(ctx.method)) return;
    ctx.status = 404;
    if (ctx.accepts('html', 'json') === 'json' || ctx.path.startsWith('/api/')) {
      ctx.body = { code: 'not_found', message: message_en('error.not_found') };
      return;
    }
    ctx.type = 'html';
    ctx.body = renderErrorPage({ status: 404, code: 'not_found', description: translatorFor().t('error.not_found') });
  };
}

/** Seconds a client should wait before retrying when a store is down (Retry-After). */
export const STORE_RETRY_AFTER_SECONDS = 5;

/** The database or Redis is down or too slow: nothing was done, try again shortly (503, never a 500). */
export class StoreUnavailable extends DomainError {
  constructor() {
    super('store.unavailable', { status: 503 });
  }
}

/**
 * Store failures in the words of the request: a value the database refused is the request's fault
 * (400); a store that is down or timed out is a 503 (see adapters/store-errors.ts).
 */
export function asRequestError(err: unknown): unknown {
  if (isRejectedValue(err)) return new DomainError('request.value_rejected', { status: 400 });
  if (isStoreUnavailable(err)) return new StoreUnavailable();
  return err;
}
