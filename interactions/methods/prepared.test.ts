// Once per challenge, counted: a method whose prepare calls are counted, rendered the ways a person
// re-renders a page (reload, wrong code, language switch), switched away and back, and expired.
import assert from 'node:assert/strict';
import { DomainError } from '../../accounts/errors.ts';
import { newFlow } from '../login/flow.ts';
import type { MfaContext, MfaStrategy } from './method.ts';
import { challengeOnce, enrolmentOnce } from './prepared.ts';

/** A method that keeps a numbered challenge (and a numbered set-up) in its scratch state. */
function countingMethod(options: { failFirstPrepare?: boolean } = {}) {
  const calls = { challenge: 0, enrolment: 0 };
  const method: MfaStrategy = {
    kind: 'counted',
    label: 'Counted',
    amr: ['otp'],
    describe: () => 'counted',
    available: async () => true,
    async prepareChallenge(c) {
      calls.challenge += 1;
      c.flow.private.counted = { n: calls.challenge, live: true };
      if (options.failFirstPrepare && calls.challenge === 1) throw new DomainError('mail.send_failed');
    },
    async challengeView(c) {
      const state = c.flow.private.counted as { n: number; live: boolean } | undefined;
      return state?.live ? { challenge: state.n } : undefined;
    },
    verify: async () => ({ kind: 'failed', message: { code: 'mfa.invalid_code' } }),
    enrolment: {
      async prepare(c) {
        calls.enrolment += 1;
        c.flow.private.counted_enrol = { n: calls.enrolment };
      },
      async view(c) {
        const state = c.flow.private.counted_enrol as { n: number } | undefined;
        return state ? { setup: state.n } : undefined;
      },
      complete: async () => ({ kind: 'failed', message: { code: 'mfa.invalid_code' } }),
    },
  };
  return { method, calls };
}

const context = (): MfaContext => ({ flow: { ...newFlow('f'), step: 'mfa_challenge', mfaKind: 'counted' }, account: { id: 'a' } as never, methods: [], request: {} });

describe('once per challenge (methods/prepared.ts)', () => {
  it('prepares on the first render only: reloads, a wrong code and a language switch show the same challenge', async () => {
    const { method, calls } = countingMethod();
    const c = context();
    const renders = [];
    for (let i = 0; i < 4; i++) renders.push(await challengeOnce(method, c));
    assert.equal(calls.challenge, 1);
    assert.deepEqual(renders.map((r) => r.prepared), [true, false, false, false]);
    assert.deepEqual(new Set(renders.map((r) => r.view.challenge)), new Set([1]));
    assert.equal(c.flow.challenge, 'counted');
  });

  it('prepares again when the challenge ended (used, expired, answered), and after "Try another method"', async () => {
    const { method, calls } = countingMethod();
    const c = context();
    await challengeOnce(method, c);
    (c.flow.private.counted as { live: boolean }).live = false; // e.g. a push answered or expired
    assert.equal((await challengeOnce(method, c)).view.challenge, 2);
    c.flow.challenge = undefined; // what "Try another method" does
    assert.equal((await challengeOnce(method, c)).view.challenge, 3);
    await challengeOnce(method, c);
    assert.equal(calls.challenge, 3);
  });

  it('a preparation that fails after storing its state is not repeated by the re-render that shows the message', async () => {
    const { method, calls } = countingMethod({ failFirstPrepare: true });
    const c = context();
    await assert.rejects(challengeOnce(method, c), (err: unknown) => err instanceof DomainError && err.code === 'mail.send_failed');
    // The flow-error handler re-renders the step with the message: the stored challenge, no second try.
    assert.deepEqual(await challengeOnce(method, c), { view: { challenge: 1 }, prepared: false });
    assert.equal(calls.challenge, 1);
  });

  it('a method without a preparation (an app code) is never prepared and always has its view', async () => {
    const c = context();
    const totpLike: MfaStrategy = { ...countingMethod().method, prepareChallenge: undefined, challengeView: async () => ({}) };
    assert.deepEqual(await challengeOnce(totpLike, c), { view: {}, prepared: false });
    assert.deepEqual(await challengeOnce(totpLike, c), { view: {}, prepared: false });
    assert.equal(c.flow.challenge, undefined, 'no challenge started: the flow has nothing new to save');
  });

  it('prepares a set-up once: every render of the enrolment page shows the same seed, code or options', async () => {
    const { method, calls } = countingMethod();
    const c = context();
    const renders = [];
    for (let i = 0; i < 3; i++) renders.push(await enrolmentOnce(method.enrolment!, c));
    assert.equal(calls.enrolment, 1);
    assert.deepEqual(renders.map((r) => [r.prepared, r.view.setup]), [[true, 1], [false, 1], [false, 1]]);
    delete c.flow.private.counted_enrol; // the set-up expired or was used
    assert.equal((await enrolmentOnce(method.enrolment!, c)).view.setup, 2);
  });
});
