// The engine's rules as tables: every (step, outcome) pair and where it leads, the one failure
// limit (and what fail() does at it), the ACR refusal, the "different person" rule and the amr merge.
import assert from 'node:assert/strict';
import { ACR_MULTI_FACTOR, ACR_SINGLE_FACTOR } from '../../accounts/mfa-policy.ts';
import { MAX_FLOW_FAILURES } from '../../accounts/security-constants.ts';
import type { Context } from 'koa';
import { acrRefused, addFactor, advance, createLoginEngine, failureLimitReached, nextStep, switchPerson, TRANSITIONS, type LoadedFlow, type StepOutcome } from './engine.ts';
import { FlowEnded, FlowError } from './flow-error.ts';
import { FLOW_STEPS, newFlow, type FlowStep } from './flow.ts';

const OUTCOMES: StepOutcome[] = [
  'signed_in', 'needs_mfa', 'needs_enrolment', 'mfa_verified', 'enrolled', 'enrolled_first',
  'continue', 'email_verified', 'email_unverified', 'choose_link', 'prove_by_password', 'start_over',
];

// Every allowed transition, written out: anything not here must be refused.
const ALLOWED: [FlowStep, StepOutcome, FlowStep][] = [
  ['credentials', 'signed_in', 'complete'],
  ['credentials', 'needs_mfa', 'mfa_challenge'],
  ['credentials', 'needs_enrolment', 'mfa_enrol'],
  ['credentials', 'choose_link', 'link_account'],
  ['credentials', 'start_over', 'credentials'],
  ['mfa_challenge', 'mfa_verified', 'complete'],
  ['mfa_challenge', 'start_over', 'credentials'],
  ['mfa_enrol', 'enrolled', 'complete'],
  ['mfa_enrol', 'enrolled_first', 'recovery_codes'],
  ['mfa_enrol', 'start_over', 'credentials'],
  ['recovery_codes', 'continue', 'complete'],
  ['recovery_codes', 'start_over', 'credentials'],
  ['verify_email', 'email_verified', 'complete'],
  ['verify_email', 'continue', 'complete'],
  ['verify_email', 'start_over', 'credentials'],
  ['link_account', 'signed_in', 'complete'],
  ['link_account', 'prove_by_password', 'link_password'],
  ['link_account', 'start_over', 'credentials'],
  ['link_password', 'signed_in', 'complete'],
  ['link_password', 'needs_mfa', 'mfa_challenge'],
  ['link_password', 'needs_enrolment', 'mfa_enrol'],
  ['link_password', 'start_over', 'credentials'],
  ['complete', 'email_unverified', 'verify_email'],
];

describe('login engine: transition table (step × outcome → next step)', () => {
  for (const step of FLOW_STEPS) {
    for (const outcome of OUTCOMES) {
      const expected = ALLOWED.find(([from, o]) => from === step && o === outcome)?.[2];
      it(`${step} --${outcome}--> ${expected ?? 'refused'}`, () => {
        if (expected) assert.equal(nextStep(step, outcome), expected);
        else assert.throws(() => nextStep(step, outcome), /no transition/);
      });
    }
  }

  it('lists no transition the table above does not', () => {
    const listed = Object.entries(TRANSITIONS).flatMap(([from, row]) => Object.keys(row).map((o) => `${from}:${o}`));
    assert.deepEqual(listed.sort(), ALLOWED.map(([from, o]) => `${from}:${o}`).sort());
  });

  it('advance moves the flow and drops the previous step’s messages', () => {
    const flow = { ...newFlow('f'), messages: [{ code: 'session.reauthenticate' as const }] };
    advance(flow, 'needs_mfa');
    assert.equal(flow.step, 'mfa_challenge');
    assert.deepEqual(flow.messages, []);
  });
});

describe('login engine: the failure limit', () => {
  const cases: [number, boolean][] = [[0, false], [1, false], [MAX_FLOW_FAILURES - 1, false], [MAX_FLOW_FAILURES, true], [MAX_FLOW_FAILURES + 1, true]];
  for (const [failures, reached] of cases) {
    it(`${failures} failures → ${reached ? 'the flow ends' : 'try again'}`, () => {
      assert.equal(failureLimitReached({ ...newFlow('f'), failures }), reached);
    });
  }
});

describe('login engine: the ACR rule', () => {
  const cases: [string | undefined, string[], boolean][] = [
    [undefined, ['pwd'], false],
    [ACR_SINGLE_FACTOR, ['pwd'], false],
    [ACR_MULTI_FACTOR, ['pwd'], true],
    [`${ACR_SINGLE_FACTOR} ${ACR_MULTI_FACTOR}`, ['pwd'], true],
    [ACR_MULTI_FACTOR, ['pwd', 'mfa', 'otp'], false],
    [ACR_MULTI_FACTOR, ['fed'], true],
    [ACR_MULTI_FACTOR, ['fed', 'mfa'], false],
  ];
  for (const [acrValues, amr, refused] of cases) {
    it(`acr_values=${acrValues ?? '(none)'} with amr ${JSON.stringify(amr)} → ${refused ? 'access_denied' : 'allowed'}`, () => {
      assert.equal(acrRefused(acrValues, amr), refused);
    });
  }
});

describe('login engine: "different person" and the amr merge', () => {
  it('a re-authentication as the same account stays one; as another account it becomes a fresh login', () => {
    const same = { ...newFlow('f'), reauth: true };
    switchPerson(same, 'a', 'a');
    assert.equal(same.reauth, true);
    const other = { ...newFlow('f'), reauth: true };
    switchPerson(other, 'a', 'b');
    assert.equal(other.reauth, false);
  });

  it('adds each amr value once, in the order proven, with the factor times', () => {
    const flow = newFlow('f');
    addFactor(flow, ['pwd'], { firstFactor: 10 });
    addFactor(flow, ['mfa', 'otp'], { mfa: 20 });
    addFactor(flow, ['mfa', 'otp']);
    assert.deepEqual(flow.amr, ['pwd', 'mfa', 'otp']);
    assert.equal(flow.passwordAt, 10);
    assert.equal(flow.mfaAt, 20);
  });
});

describe('login engine: fail() counts, audits and ends the flow at the limit', () => {
  let finished: Record<string, unknown>[];
  let audited: { action: string; outcome: string; details?: Record<string, unknown> }[];
  const engine = createLoginEngine({
    provider: {
      async interactionResult(_req: unknown, _res: unknown, result: Record<string, unknown>) {
        finished.push(result);
        return 'https://app.example/cb';
      },
    } as never,
    methods: {} as never,
    accounts: {} as never,
    mfa: {} as never,
    marks: {} as never,
    audit: { record: async (e: never) => void audited.push(e) } as never,
    steps: [],
  });
  const ctx = () => ({ ip: '192.0.2.1', get: () => '', redirect() {}, status: 200 }) as unknown as Context;
  const loaded = (step: FlowStep, failures = 0): LoadedFlow => ({ interaction: {} as never, flow: { ...newFlow('f'), step, failures, accountId: 'a1' } });
  const message = { code: 'mfa.invalid_code', level: 'error' } as const;

  beforeEach(() => {
    finished = [];
    audited = [];
  });

  const cases: [string, FlowStep, number, Partial<Parameters<typeof engine.fail>[2]>, { failures: number; ended: boolean; step: FlowStep; action?: string }][] = [
    ['a wrong code', 'mfa_challenge', 0, {}, { failures: 1, ended: false, step: 'mfa_challenge', action: 'session.mfa' }],
    ['a wrong password', 'credentials', 0, {}, { failures: 1, ended: false, step: 'credentials', action: 'session.sign_in' }],
    ['the last failure allowed', 'mfa_challenge', MAX_FLOW_FAILURES - 1, {}, { failures: MAX_FLOW_FAILURES, ended: true, step: 'mfa_challenge', action: 'session.mfa' }],
    ['a refusal that does not count (an expired link)', 'mfa_challenge', MAX_FLOW_FAILURES - 1, { counts: false }, { failures: MAX_FLOW_FAILURES - 1, ended: false, step: 'mfa_challenge' }],
    ['an upstream failure (back to the sign-in page)', 'link_account', 0, { startOver: true }, { failures: 1, ended: false, step: 'credentials', action: 'session.mfa' }],
  ];
  for (const [what, step, before, options, expected] of cases) {
    it(`${what}: ${before} → ${expected.failures} failures, ${expected.ended ? 'the flow ends (access_denied)' : `re-render ${expected.step}`}`, async () => {
      const s = loaded(step, before);
      const thrown = await engine.fail(ctx(), s, { method: 'totp', message, ...options }).catch((e: unknown) => e);
      assert.equal(s.flow.failures, expected.failures);
      assert.equal(s.flow.step, expected.step);
      assert.deepEqual(audited.map((e) => [e.action, e.outcome]), expected.action ? [[expected.action, 'failure']] : []);
      if (expected.ended) {
        assert.ok(thrown instanceof FlowEnded);
        assert.equal(finished[0]?.error, 'access_denied');
      } else {
        assert.ok(thrown instanceof FlowError);
        assert.deepEqual([(thrown as FlowError).code, (thrown as FlowError).status], [message.code, 200]);
        assert.deepEqual(finished, []);
      }
    });
  }
});
