import assert from 'node:assert/strict';
import { reauthenticationRequired } from './reauthentication.ts';

describe('re-authentication rule', () => {
  const now = 1_000_000;
  const min = 60;
  const hour = 60 * min;
  const cases: [string, { passwordAt: number | null; mfaAt: number | null; usesMfa: boolean }, string][] = [
    ['password 29 min ago, no MFA', { passwordAt: now - 29 * min, mfaAt: null, usesMfa: false }, 'none'],
    ['password exactly 30 min ago', { passwordAt: now - 30 * min, mfaAt: null, usesMfa: false }, 'none'],
    ['password 31 min ago, no MFA', { passwordAt: now - 31 * min, mfaAt: null, usesMfa: false }, 'password'],
    ['password never entered (SSO-free session)', { passwordAt: null, mfaAt: null, usesMfa: false }, 'password'],
    ['MFA 7 h ago, password 10 min ago', { passwordAt: now - 10 * min, mfaAt: now - 7 * hour, usesMfa: true }, 'none'],
    ['MFA 7 h ago, password 40 min ago', { passwordAt: now - 40 * min, mfaAt: now - 7 * hour, usesMfa: true }, 'password'],
    ['MFA 9 h ago, password 10 min ago', { passwordAt: now - 10 * min, mfaAt: now - 9 * hour, usesMfa: true }, 'password_and_mfa'],
    ['MFA never in this session', { passwordAt: now - 1 * min, mfaAt: null, usesMfa: true }, 'password_and_mfa'],
  ];
  for (const [name, input, expected] of cases) {
    it(`${name} → ${expected}`, () => assert.equal(reauthenticationRequired({ ...input, now }), expected));
  }
});
