// attempt(): a coded refusal comes back as data for the caller's page; anything else is a bug and is thrown on.
import assert from 'node:assert/strict';
import { attempt, DomainError, ValidationError, violation } from './errors.ts';
import { ThrottledError } from './throttle.ts';

describe('attempt', () => {
  it('gives the value of an action that succeeds', async () => {
    assert.deepEqual(await attempt(async () => 42), { ok: true, value: 42 });
  });

  const refusals: [string, DomainError][] = [
    ['a coded error', new DomainError('mfa.not_found', { status: 404 })],
    ['a rule set’s violations', new ValidationError([violation('username', 'username.too_short')])],
    ['a throttle', new ThrottledError(10)],
  ];
  for (const [what, err] of refusals) {
    it(`gives back ${what} as the refusal`, async () => {
      const result = await attempt(async () => {
        throw err;
      });
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.error, err);
    });
  }

  it('throws anything else on (a bug is not a message)', async () => {
    const bug = new TypeError('x is undefined');
    await assert.rejects(attempt(async () => { throw bug; }), (e: unknown) => e === bug);
  });
});
