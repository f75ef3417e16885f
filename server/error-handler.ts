// One place decides how errors on our own routes look: a page for browsers, `{code, message}`
// for API clients. 4xx carry their message; 5xx are logged and shown generically, never a stack.
import type { Middleware } from 'koa';
import { DomainError, ValidationError } from '../accounts/errors.ts';
import { render } from '../views/render.ts';
import type { Logger } from './logger.ts';

type HttpishError = Error & { status?: number; statusCode?: number; expose?: boolean; error?: string; error_description?: string };

export function errorHandler(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const e = err as HttpishError;
      let status = e instanceof DomainError ? e.status : (e.status ?? e.statusCode ?? 500);
      if (status < 400 || status > 599) status = 500;
      let code: string;
      let message: string;
      if (e instanceof DomainError) {
        code = e.code;
        message = e.message;
      } else if (e.error && status < 500) {
        // oidc-provider errors (e.g. SessionNotFound when the interaction cookie is gone).
        code = e.error;
        message = e.error === 'invalid_request' && /session|interaction/i.test(e.error_description ?? '')
          ? 'Your sign-in page expired. Go back to the application and start again.'
          : (e.error_description ?? e.message);
      } else if (status < 500 && e.expose !== false) {
        code = `http.${status}`;
        message = e.message;
      } else {
        code = 'server_error';
        message = 'Something went wrong on our side. Try again in a moment.';
        logger.error({ err: e, path: ctx.path }, 'request failed');
      }
      ctx.status = status;
      if (ctx.accepts('html', 'json') === 'json' || ctx.path.startsWith('/api/')) {
        ctx.body = { code, message, ...(e instanceof ValidationError ? { details: e.violations } : {}) };
      } else {
        ctx.type = 'html';
        ctx.body = render('error', { title: status >= 500 ? 'Something went wrong' : 'We could not do that', code, description: message });
      }
    }
  };
}
