// The one flow-error path: a coded error thrown anywhere in a step's pipeline goes back into the flow
// and re-renders the current step with its message; everything else goes on to the app's handler.
import assert from 'node:assert/strict';
import type { Context } from 'koa';
import { DomainError } from '../../accounts/errors.ts';
import { ThrottledError } from '../../accounts/throttle.ts';
import type { LoadedFlow } from './engine.ts';
import { FlowEnded, FlowError, flowErrors } from './flow-error.ts';
import { newFlow } from './flow.ts';

describe('flow errors (flow-error.ts)', () => {
  let saved: number;
  let rendered: { step: string; status?: number }[];
  let headers: Record<string, string>;
  const engine = {
    async save() {
      saved += 1;
    },
    async render(_ctx: Context, s: LoadedFlow, status?: number) {
      rendered.push({ step: s.flow.step, status });
    },
  };
  const loaded = (): LoadedFlow => ({ interaction: {} as never, flow: { ...newFlow('f'), step: 'mfa_challenge' } });
  const context = (s: LoadedFlow | undefined, accepts = 'html') =>
    ({ state: { login: s }, accepts: () => accepts, set: (k: string, v: string) => void (headers[k] = v) }) as unknown as Context;
  const run = (ctx: Context, err: unknown) => flowErrors(engine)(ctx, async () => { throw err; });

  beforeEach(() => {
    saved = 0;
    rendered = [];
    headers = {};
  });

  it('a coded error re-renders the current step with its message and status, and keeps it in the flow', async () => {
    const s = loaded();
    await run(context(s), new DomainError('mfa.invalid_name', { field: 'name' }));
    assert.deepEqual(s.flow.messages, [{ code: 'mfa.invalid_name', level: 'error', field: 'name' }]);
    assert.equal(saved, 1);
    assert.deepEqual(rendered, [{ step: 'mfa_challenge', status: 400 }]);
  });

  it("a step's own failure (FlowError) keeps its level and the counted failure's 200", async () => {
    const s = loaded();
    await run(context(s), new FlowError({ code: 'mfa.push_pending', level: 'info' }, 200));
    assert.deepEqual(s.flow.messages.map((m) => [m.code, m.level]), [['mfa.push_pending', 'info']]);
    assert.deepEqual(rendered, [{ step: 'mfa_challenge', status: 200 }]);
  });

  it('a throttle says when to try again (Retry-After) on the same step', async () => {
    const s = loaded();
    await run(context(s), new ThrottledError(30));
    assert.equal(headers['Retry-After'], '30');
    assert.deepEqual(rendered, [{ step: 'mfa_challenge', status: 429 }]);
  });

  it('an ended flow (already answered with a redirect) stops quietly', async () => {
    await run(context(loaded()), new FlowEnded());
    assert.deepEqual([saved, rendered.length], [0, 0]);
  });

  const passedOn: [string, () => Context, unknown][] = [
    ['a bug', () => context(loaded()), new TypeError('x is undefined')],
    ['a coded error before a flow was loaded (wrong interaction)', () => context(undefined), new DomainError('session.interaction_mismatch')],
    ["a coded error for a page's script asking for JSON", () => context(loaded(), 'json'), new DomainError('session.step_unexpected')],
  ];
  for (const [what, ctx, err] of passedOn) {
    it(`${what} goes on to the app's error handler`, async () => {
      await assert.rejects(run(ctx(), err), (e: unknown) => e === err);
      assert.deepEqual([saved, rendered.length], [0, 0]);
    });
  }
});
