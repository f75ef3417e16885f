import assert from 'node:assert/strict';
import { commonPasswordViolations, personalWords } from './password-strength.ts';

const codes = (v: { code: string }[]) => v.map((x) => x.code);

describe('common-password rule (zxcvbn-ts)', () => {
  // Each of these passes the composition rules (8–64, upper, lower, digit) and must still be refused.
  const common: string[] = ['Passw0rd', 'Password1', 'Qwerty123', 'Welcome1', 'Iloveyou1', 'Letmein1!', 'Dragon123', 'Football1', 'Summer2024', 'P@ssw0rd123', 'Abcdefg1'];
  for (const password of common) {
    it(`refuses the common password ${JSON.stringify(password)}`, () => {
      assert.deepEqual(codes(commonPasswordViolations(password)), ['password.too_common']);
    });
  }

  const strong: string[] = ['Correct-Horse-9', 'Tr0ub4dor&3', 'Xk9-vLq2-Rm', 'Acme-Corp-2024'];
  for (const password of strong) {
    it(`accepts ${JSON.stringify(password)}`, () => {
      assert.deepEqual(codes(commonPasswordViolations(password)), []);
    });
  }

  it('refuses a password made of the person\'s own username', () => {
    assert.deepEqual(codes(commonPasswordViolations('Zorblatt-2', personalWords({ username: 'zorblatt-2' }))), ['password.too_common']);
    assert.deepEqual(codes(commonPasswordViolations('Zorblatt-2')), []);
  });

  it('leaves empty and over-long input to the composition rules', () => {
    assert.deepEqual(commonPasswordViolations(''), []);
    assert.deepEqual(commonPasswordViolations('A1' + 'a'.repeat(100)), []);
  });

  it('collects personal words from username, email and company', () => {
    assert.deepEqual(personalWords({ username: 'Ana_B', email: 'ana.bell@example.com', company: 'Acme Corp' }), [
      'ana_b',
      'ana.bell@example.com',
      'ana',
      'bell',
      'example',
      'com',
      'acme',
      'corp',
    ]);
  });
});
