// The small middlewares every step route is built from:
//   router.post('/:uid/mfa', loadFlow(engine), requireStep(engine, 'mfa_challenge'), form(mfaForm), submit)
// loadFlow puts the interaction and flow on ctx.state.login (the flow-error handler re-renders from
// it); requireStep sends a POST for another step back to the current one; form parses the body with
// its zod schema into ctx.state.form.
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import type { FlowStep } from './flow.ts';
import type { LoadedFlow, LoginEngine } from './engine.ts';

export function loadFlow(engine: Pick<LoginEngine, 'load'>, prompt: 'login' | 'consent' | 'any' = 'login'): Middleware {
  return async (ctx, next) => {
    ctx.state.login = await engine.load(ctx, prompt);
    await next();
  };
}

export function requireStep(engine: Pick<LoginEngine, 'showStep'>, ...steps: FlowStep[]): Middleware {
  return async (ctx, next) => {
    const s = flowOf(ctx);
    if (!steps.includes(s.flow.step)) return engine.showStep(ctx, s);
    await next();
  };
}

/** A form field: a string, or '' when absent or not a string (a field sent twice, JSON of another type). */
export const field = () => z.string().catch('');

export function form<S extends z.ZodType>(schema: S): Middleware {
  return async (ctx, next) => {
    const body = ctx.request.body && typeof ctx.request.body === 'object' ? ctx.request.body : {};
    ctx.state.form = schema.parse(body);
    await next();
  };
}

export const flowOf = (ctx: Context): LoadedFlow => ctx.state.login as LoadedFlow;
export const formOf = <S extends z.ZodType>(ctx: Context, _schema: S): z.infer<S> => ctx.state.form as z.infer<S>;

/** Every string field of the body (for methods whose fields the registry doesn't know in advance). */
export function stringFields(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (body && typeof body === 'object') for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out[k] = v;
  return out;
}
