// One flow-error path (oidc-provider's ReRenderError, kratos' WriteFlowError): a coded error
// (DomainError) thrown anywhere in a step's pipeline, after the flow was loaded, goes back into the
// flow and re-renders the current step with its message. Errors before a flow exists (wrong
// interaction, expired cookie) and bugs go on to the app's error handler.
import type { Context, Middleware } from 'koa';
import { DomainError } from '../../accounts/errors.ts';
import type { FlowMessage } from './flow.ts';
import type { LoadedFlow } from './engine.ts';

/** A step's own message with the status of the re-rendered page (a counted failure is a 200 page). */
export class FlowError extends DomainError {
  readonly level: 'error' | 'info';
  constructor(message: FlowMessage, status = 400) {
    super(message.code as 'validation.failed', { status, field: message.field });
    (this as { vars?: FlowMessage['vars'] }).vars = message.vars;
    this.level = message.level ?? 'error';
  }
}

/** The response was already written (the flow ended with a redirect): stop the pipeline quietly. */
export class FlowEnded extends Error {}

export const loadedFlow = (ctx: Context): LoadedFlow | undefined => ctx.state.login as LoadedFlow | undefined;

export function flowErrors(engine: {
  save(s: LoadedFlow): Promise<void>;
  render(ctx: Context, s: LoadedFlow, status?: number): Promise<void>;
}): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (err instanceof FlowEnded) return;
      const s = loadedFlow(ctx);
      // A page's script asking for JSON (a method's read action) gets the app's JSON error, not a page.
      if (!(err instanceof DomainError) || !s || ctx.accepts('html', 'json') === 'json') throw err;
      s.flow.messages = [err.toMessage(err instanceof FlowError ? err.level : 'error')];
      await engine.save(s);
      // A throttle's refusal says when to try again (accounts/throttle.ts ThrottledError).
      const retryAfter = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
      if (typeof retryAfter === 'number') ctx.set('Retry-After', String(retryAfter));
      // A second error while re-rendering is not retried: it goes to the app's error page.
      await engine.render(ctx, s, err.status);
    }
  };
}
