import assert from 'node:assert/strict';
import { ValidationError } from './errors.ts';
import { forgotIdentifier } from './forgot-credentials.ts';
import { contactChanges } from './profile.ts';

describe('profile rules', () => {
  describe('contact info (name, phone)', () => {
    const cases: [{ name?: string; phoneNumber?: string }, { name: string | null; phoneNumber: string | null } | string[]][] = [
      [{ name: ' Ana Bell ', phoneNumber: '+1 (650) 253-0000' }, { name: 'Ana Bell', phoneNumber: '+16502530000' }],
      [{ name: '', phoneNumber: '' }, { name: null, phoneNumber: null }],
      [{ name: 'x'.repeat(201) }, ['name.too_long']],
      [{ name: 'Ana\u0000' }, ['name.invalid_characters']],
      [{ name: 'Ana', phoneNumber: '555' }, ['phone.invalid']],
      [{ phoneNumber: '650 253 0000' }, ['phone.invalid']],
    ];
    for (const [input, expected] of cases) {
      it(`${JSON.stringify(input).slice(0, 60)} → ${Array.isArray(expected) ? expected.join(',') : 'ok'}`, () => {
        if (Array.isArray(expected)) {
          assert.throws(() => contactChanges(input), (err: ValidationError) => {
            assert.deepEqual(err.violations.map((v) => v.code), expected);
            return true;
          });
        } else {
          assert.deepEqual(contactChanges(input), expected);
        }
      });
    }
  });

  describe('forgot-credentials input', () => {
    const cases: [string, string | undefined][] = [
      ['ann', 'ann'],
      ['  ann@example.com ', 'ann@example.com'],
      ['', undefined],
      ['   ', undefined],
      ['x'.repeat(255), undefined],
      ['ann\nBcc: x', undefined],
    ];
    for (const [input, expected] of cases) {
      it(`${JSON.stringify(input).slice(0, 30)} → ${expected ?? 'refused'}`, () => assert.equal(forgotIdentifier(input), expected));
    }
  });
});
