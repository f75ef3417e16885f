import assert from 'node:assert/strict';
import { loggedInVia } from './account-routes.ts';

describe('"Logged In Via"', () => {
  const cases: [string[], string][] = [
    [['pwd'], 'Gatehouse username and password'],
    [['pwd', 'mfa', 'otp'], 'Gatehouse username and password, with authenticator app'],
    [['pwd', 'mfa', 'hwk'], 'Gatehouse username and password, with security key'],
    [['pwd', 'mfa', 'swk', 'user'], 'Gatehouse username and password, with built-in authenticator or Gatehouse Authenticator'],
    [[], 'Single sign-on through your organization’s identity provider'],
    [['fed'], 'Single sign-on through your organization’s identity provider'],
  ];
  for (const [amr, text] of cases) it(`${JSON.stringify(amr)} → ${text}`, () => assert.equal(loggedInVia(amr), text));

  // The session's method says it in its own words: two `otp` methods are not both "authenticator app".
  const names = { describe: (kind: string) => ({ totp: 'authenticator app', email_otp: 'email code' })[kind] ?? kind };
  const byMethod: [string, string][] = [
    ['totp', 'Gatehouse username and password, with authenticator app'],
    ['email_otp', 'Gatehouse username and password, with email code'],
  ];
  for (const [kind, text] of byMethod) it(`otp by ${kind} → ${text}`, () => assert.equal(loggedInVia(['pwd', 'mfa', 'otp'], kind, names), text));
});
