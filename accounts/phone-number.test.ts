import assert from 'node:assert/strict';
import { phoneViolations, toE164 } from './phone-number.ts';

describe('phone number rule (libphonenumber-js, E.164)', () => {
  const cases: [string, string | undefined][] = [
    ['+1 (650) 253-0000', '+16502530000'],
    ['+44 20 7946 0958', '+442079460958'],
    ['+49 30 901820', '+4930901820'],
    ['+33 1 42 68 53 00', '+33142685300'],
    ['+16502530000', '+16502530000'],
    ['650 253 0000', undefined], // no country code: the country can't be known
    ['+1 253 0000', undefined], // no area code
    ['+1 650 253 00000000', undefined], // too long
    ['+999 123456', undefined], // no such country code
    ['+1 650 ABC 0000', undefined], // letters
    ['+1 650 253 0000\nBcc: x', undefined],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${expected ?? 'invalid'}`, () => {
      assert.equal(toE164(input), expected);
      assert.deepEqual(phoneViolations(input).map((v) => v.code), expected ? [] : ['phone.invalid']);
    });
  }

  it('asks for a number when the field is empty', () => {
    assert.deepEqual(phoneViolations('  ').map((v) => v.code), ['phone.required']);
  });
});
