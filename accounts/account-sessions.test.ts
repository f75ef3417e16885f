import assert from 'node:assert/strict';
import { describeSignInMethod } from './account-sessions.ts';

describe('how a session signed in', () => {
  // Each method describes itself (interactions/methods/registry.test.ts pins the real registry's words).
  const WORDS: Record<string, string> = { totp: 'authenticator app', recovery_code: 'recovery code', security_key: 'security key', push: 'Gatehouse Authenticator app', email_otp: 'email code' };
  const names = { describe: (kind: string) => WORDS[kind] ?? kind };
  const cases: [string[], string | null, string | null, string][] = [
    [['pwd', 'mfa', 'otp'], 'totp', null, 'Password and authenticator app'],
    [['pwd', 'mfa', 'otp'], 'recovery_code', null, 'Password and recovery code'],
    [['pwd', 'mfa', 'hwk'], 'security_key', null, 'Password and security key'],
    [['pwd', 'mfa', 'swk', 'user'], 'push', null, 'Password and Gatehouse Authenticator app'],
    [['pwd', 'mfa', 'otp'], 'email_otp', null, 'Password and email code'],
    [['pwd', 'mfa', 'swk', 'user'], null, null, 'Password and a second factor'],
    [['pwd'], null, null, 'Password only'],
    [['fed'], null, 'Okta', 'Single sign-on through Okta'],
    [['fed', 'mfa'], null, null, 'Single sign-on through an identity provider'],
    [[], null, null, 'Unknown'],
  ];
  for (const [amr, method, idp, text] of cases) {
    it(`${JSON.stringify(amr)} ${method ?? ''} ${idp ?? ''} → ${text}`, () => assert.equal(describeSignInMethod(amr, method, idp, names), text));
  }
});
