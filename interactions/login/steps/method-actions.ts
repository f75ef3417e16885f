// Every method's own actions (MfaStrategy.actions), at one route pattern for all methods:
//   POST /interaction/:uid/mfa/:kind/:action   e.g. email-OTP "Send a new code": the step's page with its message
//   GET  /interaction/:uid/mfa/:kind/:action   a read for the page's script, e.g. push "has the device answered?" (JSON)
// Only the method being challenged (or enrolled) in this flow, and only in a step that offers the
// action; anything else is sent back to the current step (POST) or is not found (GET).
import type { Context } from 'koa';
import { METHOD_ACTION_ROUTE, methodActionPath, type MethodAction, type MfaStrategy } from '../../methods/method.ts';
import type { LoadedFlow, LoginEngine } from '../engine.ts';
import type { LoginStep } from '../step.ts';
import { flowOf, loadFlow, stringFields } from '../pipeline.ts';

/** Where a step page sends each of its method's actions (`methodActions.<name>` in the partial). */
export function actionPaths(uid: string, strategy: Pick<MfaStrategy, 'kind' | 'actions'>): Record<string, string> {
  return Object.fromEntries(Object.keys(strategy.actions ?? {}).map((name) => [name, methodActionPath(uid, strategy.kind, name)]));
}

/** The action named in the path, if the flow's current method has it, offers it in this step, and it fits the verb. */
function actionFor(engine: LoginEngine, ctx: Context, s: LoadedFlow, read: boolean): MethodAction | undefined {
  const step = s.flow.step;
  if (step !== 'mfa_challenge' && step !== 'mfa_enrol') return undefined;
  const current = step === 'mfa_challenge' ? s.flow.mfaKind : s.flow.enrolKind;
  const strategy = ctx.params.kind === current ? engine.methods.mfa(current) : undefined;
  const action = strategy?.actions && Object.hasOwn(strategy.actions, ctx.params.action) ? strategy.actions[ctx.params.action] : undefined;
  return action && action.steps.includes(step) && (action.read === true) === read ? action : undefined;
}

export function createMethodActionsStep(): LoginStep {
  return {
    routes(router, engine) {
      router.get(METHOD_ACTION_ROUTE, loadFlow(engine), async (ctx) => {
        const s = flowOf(ctx);
        const action = actionFor(engine, ctx, s, true);
        ctx.set('Cache-Control', 'no-store');
        if (!action) {
          ctx.status = 404; // the app's not-found answer (JSON for a script)
          return;
        }
        const result = await action.run(await engine.mfaContext(ctx, s), {});
        // A read never changes the flow: nothing is saved.
        if (result.kind === 'json') ctx.body = result.body;
        else ctx.body = { message: result.message };
      });

      router.post(METHOD_ACTION_ROUTE, loadFlow(engine), async (ctx) => {
        const s = flowOf(ctx);
        const action = actionFor(engine, ctx, s, false);
        if (!action) return engine.showStep(ctx, s);
        const result = await action.run(await engine.mfaContext(ctx, s), stringFields(ctx.request.body));
        if (result.kind === 'message') s.flow.messages = [result.message];
        await engine.save(s);
        if (result.kind === 'message') return engine.render(ctx, s);
        ctx.set('Cache-Control', 'no-store');
        ctx.body = result.body;
      });
    },
  };
}
