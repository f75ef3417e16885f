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
});
