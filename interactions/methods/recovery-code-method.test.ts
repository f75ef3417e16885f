// Recovery codes as a method: each code works once, by its digest; offered only while codes are left.
import assert from 'node:assert/strict';
import type { MfaStore } from '../../accounts/mfa.ts';
import { newFlow } from '../login/flow.ts';
import type { MfaContext } from './method.ts';
import { createRecoveryCodeMethod } from './recovery-code-method.ts';

describe('recovery code method', () => {
  const digest = (code: string) => `digest:${code}`;
  let left: Set<string>;
  const store = {
    async countRecoveryCodes() {
      return left.size;
    },
    async consumeRecoveryCode(_accountId: string, d: string) {
      return left.delete(d);
    },
  } as unknown as MfaStore;
  const method = createRecoveryCodeMethod({ mfa: store, digest });
  const ctx = (): MfaContext => ({ flow: newFlow('f'), account: { id: 'a1' } as never, methods: [], request: {} });

  beforeEach(() => {
    left = new Set([digest('aaaa-bbbb'), digest('cccc-dddd')]);
  });

  it('owns its kind, label, amr (otp) and words', () => {
    assert.deepEqual([method.kind, method.label, method.amr, method.describe()], ['recovery_code', 'Recovery code', ['otp'], 'recovery code']);
  });

  it('is offered while codes are left', async () => {
    assert.equal(await method.available(ctx()), true);
    left.clear();
    assert.equal(await method.available(ctx()), false);
  });

  const cases: [string, string][] = [
    ['aaaa-bbbb', 'verified'],
    ['zzzz-zzzz', 'mfa.invalid_recovery_code'],
    ['', 'mfa.invalid_recovery_code'],
    ['x'.repeat(41), 'mfa.invalid_recovery_code'],
  ];
  for (const [typed, expected] of cases) {
    it(`"${typed.slice(0, 12)}${typed.length > 12 ? '…' : ''}" → ${expected}`, async () => {
      const outcome = await method.verify(ctx(), { recovery_code: typed });
      assert.equal(outcome.kind === 'failed' ? outcome.message.code : outcome.kind, expected);
    });
  }

  it('uses a code once', async () => {
    assert.deepEqual(await method.verify(ctx(), { recovery_code: 'cccc-dddd' }), { kind: 'verified', amr: ['mfa', 'otp'] });
    assert.equal((await method.verify(ctx(), { recovery_code: 'cccc-dddd' })).kind, 'failed');
    assert.equal(left.size, 1);
  });
});
