import assert from 'node:assert/strict';
import { companyViolations, emailViolations, passwordViolations, usernameViolations } from './account-rules.ts';

const codes = (v: { code: string }[]) => v.map((x) => x.code);

describe('account rules', () => {
  describe('username', () => {
    const cases: [string, string[]][] = [
      ['abc', []],
      ['a_b-9', []],
      ['ab', ['username.too_short']],
      ['', ['username.too_short']],
      ['has space', ['username.invalid_characters']],
      ['dot.ted', ['username.invalid_characters']],
      ['me@example.com', ['username.invalid_characters']],
      ['ünï', ['username.invalid_characters']],
      ['x'.repeat(101), ['username.too_long']],
    ];
    for (const [input, expected] of cases) {
      it(`${JSON.stringify(input.slice(0, 20))} → ${expected.join(',') || 'valid'}`, () => {
        assert.deepEqual(codes(usernameViolations(input)), expected);
      });
    }
  });

  describe('password', () => {
    const cases: [string, string[]][] = [
      ['Passw0rd', []],
      ['A1' + 'a'.repeat(62), []],
      ['Pa0rd!', ['password.length']],
      ['A1' + 'a'.repeat(63), ['password.length']],
      ['password1', ['password.missing_uppercase']],
      ['PASSWORD1', ['password.missing_lowercase']],
      ['Password', ['password.missing_number']],
      ['Pässw0rd', ['password.invalid_characters']],
      ['Pass\tw0rd', ['password.invalid_characters']],
      ['Pass w0rd!~', []],
    ];
    for (const [input, expected] of cases) {
      it(`${JSON.stringify(input.slice(0, 20))} → ${expected.join(',') || 'valid'}`, () => {
        assert.deepEqual(codes(passwordViolations(input)), expected);
      });
    }
  });

  describe('email and company', () => {
    it('accepts a normal address and rejects malformed ones', () => {
      assert.deepEqual(codes(emailViolations('ana@example.com')), []);
      for (const bad of ['ana', 'ana@', '@example.com', 'ana@example', 'a b@example.com', 'ana@example.com\r\nBcc: x@y.z']) {
        assert.deepEqual(codes(emailViolations(bad)), ['email.invalid'], bad);
      }
    });
    it('company needs at least 2 characters', () => {
      assert.deepEqual(codes(companyViolations('Ab')), []);
      assert.deepEqual(codes(companyViolations('A')), ['company.too_short']);
      assert.deepEqual(codes(companyViolations('  A ')), ['company.too_short']);
    });
  });
});
