// The MFA policy as tables: who signs in without MFA, what comes after the first factor, the
// single-factor password minimum (one code), and which sets of methods are allowed.
import assert from 'node:assert/strict';
import { acrFor, ACR_MULTI_FACTOR, ACR_SINGLE_FACTOR, enrolmentRefusal, secondFactorNeed, singleFactorPasswordTooShort, soleMethodRefusal, SINGLE_FACTOR_PASSWORD_TOO_SHORT, usesMfa } from './mfa-policy.ts';

describe('MFA policy', () => {
  it('exempts only service accounts an administrator exempted', () => {
    const cases: [boolean, boolean, boolean][] = [[false, false, true], [false, true, true], [true, false, true], [true, true, false]];
    for (const [serviceAccount, mfaExempt, expected] of cases) assert.equal(usesMfa({ serviceAccount, mfaExempt }), expected, `${serviceAccount}/${mfaExempt}`);
  });

  it('says acr from amr', () => {
    assert.equal(acrFor(['pwd']), ACR_SINGLE_FACTOR);
    assert.equal(acrFor(['pwd', 'mfa', 'otp']), ACR_MULTI_FACTOR);
  });

  describe('after the first factor', () => {
    const human = { id: 'a', serviceAccount: false, mfaExempt: false };
    const robot = { id: 'r', serviceAccount: true, mfaExempt: true };
    const now = 100_000;
    const cases: [string, Parameters<typeof secondFactorNeed>[0], string][] = [
      ['exempt service account', { account: robot, methodCount: 0, reauth: false, now }, 'none'],
      ['no method yet', { account: human, methodCount: 0, reauth: false, now }, 'enrol'],
      ['a method', { account: human, methodCount: 1, reauth: false, now }, 'challenge'],
      ['re-auth, MFA 1 h ago', { account: human, methodCount: 1, reauth: true, previous: { accountId: 'a', passwordAt: now - 3600, mfaAt: now - 3600 }, now }, 'mfa_window'],
      ['re-auth, MFA 9 h ago', { account: human, methodCount: 1, reauth: true, previous: { accountId: 'a', passwordAt: now, mfaAt: now - 9 * 3600 }, now }, 'challenge'],
      ['re-auth, another account’s marks', { account: human, methodCount: 1, reauth: true, previous: { accountId: 'b', passwordAt: now, mfaAt: now }, now }, 'challenge'],
      ['not a re-auth', { account: human, methodCount: 1, reauth: false, previous: { accountId: 'a', passwordAt: now, mfaAt: now }, now }, 'challenge'],
    ];
    for (const [name, input, need] of cases) it(`${name} → ${need}`, () => assert.equal(secondFactorNeed(input), need));
  });

  it('a single-factor password needs 15 characters, under one code', () => {
    assert.equal(singleFactorPasswordTooShort(true, 'a'.repeat(14)), true);
    assert.equal(singleFactorPasswordTooShort(true, 'a'.repeat(15)), false);
    assert.equal(singleFactorPasswordTooShort(false, 'a'), false);
    assert.equal(SINGLE_FACTOR_PASSWORD_TOO_SHORT.code, 'password.single_factor_too_short');
  });

  describe('which methods may stand alone', () => {
    const app = { kind: 'totp' };
    const inbox = { kind: 'email_otp', inbox: true };
    const cases: [string, { kind: string; inbox?: boolean }[], boolean, boolean][] = [
      ['an app alone', [app], true, true],
      ['an emailed code alone', [inbox], true, false],
      ['an emailed code beside an app', [app, inbox], true, true],
      ['an emailed code alone, no password reset by email', [inbox], false, true],
      ['nothing left (the store refuses that itself)', [], true, true],
    ];
    for (const [name, remaining, resettable, allowed] of cases) {
      it(`${name} → ${allowed ? 'allowed' : 'refused'}`, () => {
        const refusal = soleMethodRefusal(remaining, resettable);
        assert.equal(refusal === undefined, allowed);
        if (refusal) assert.equal(refusal.code, 'mfa.inbox_not_only_method');
      });
    }
    it('enrolment: an emailed code as the first method is refused, beside an app it is not', () => {
      assert.equal(enrolmentRefusal(inbox, [], true)?.code, 'mfa.inbox_not_only_method');
      assert.equal(enrolmentRefusal(inbox, [app], true), undefined);
    });
  });
});
