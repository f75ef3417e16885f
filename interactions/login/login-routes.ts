// The pages oidc-provider sends people to during a login, under /interaction. The engine
// (engine.ts) moves the flow; each step file (steps/*.ts, federation's too) adds its page and routes;
// one flow-error handler re-renders the current step when a step throws a coded error.
//   GET  /interaction/:uid         the current step's page (or consent)
//   POST /interaction/:uid/abort     "Cancel": access_denied back to the application
//   POST /interaction/:uid/continue  "Done" / "Continue for now" on a step the table lets continue
import Router from '@koa/router';
import { createLoginEngine, TRANSITIONS, type LoginEngineDeps } from './engine.ts';
import { flowErrors } from './flow-error.ts';
import { flowOf, loadFlow } from './pipeline.ts';

export function createLoginRoutes(deps: LoginEngineDeps) {
  const engine = createLoginEngine(deps);
  const router = new Router({ prefix: '/interaction' });
  router.use(flowErrors(engine));

  router.get('/:uid', loadFlow(engine, 'any'), async (ctx) => engine.render(ctx, flowOf(ctx)));

  router.post('/:uid/abort', loadFlow(engine, 'any'), async (ctx) =>
    engine.finish(ctx, { error: 'access_denied', error_description: 'the user cancelled the request' }));

  router.post('/:uid/continue', loadFlow(engine), async (ctx) => {
    const s = flowOf(ctx);
    if (!TRANSITIONS[s.flow.step].continue) return engine.showStep(ctx, s);
    engine.advance(s.flow, 'continue');
    return engine.proceed(ctx, s);
  });

  for (const step of deps.steps) step.routes?.(router, engine);
  return { router, engine };
}
