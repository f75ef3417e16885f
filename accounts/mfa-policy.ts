// MFA policy in one place: who signs in without MFA, the longer password such an account needs,
// what a finished login's `acr` is, which methods may be someone's only one, and what comes after
// the first factor. The login engine (interactions/login/) and the profile call these; nothing else
// restates them.
import { DomainError } from './errors.ts';
import type { Message } from './messages/language.ts';
import { reauthenticationRequired, type FactorMarks } from './reauthentication.ts';
import { SINGLE_FACTOR_PASSWORD_MIN_LENGTH } from './security-constants.ts';

export const ACR_SINGLE_FACTOR = 'urn:gatehouse:loa:1';
export const ACR_MULTI_FACTOR = 'urn:gatehouse:loa:2';
export const ACR_VALUES = [ACR_SINGLE_FACTOR, ACR_MULTI_FACTOR];

/** What a finished login claims about itself (RFC 8176 amr → acr), stated truthfully. */
export function acrFor(amr: string[]): string {
  return amr.includes('mfa') ? ACR_MULTI_FACTOR : ACR_SINGLE_FACTOR;
}

/** MFA is mandatory for local sign-ins; only service accounts an administrator exempted skip it. */
export function usesMfa(account: { serviceAccount: boolean; mfaExempt: boolean }): boolean {
  return !(account.serviceAccount && account.mfaExempt);
}

/** One password is all that guards a single-factor account, so it must be longer (one code, one text). */
export const SINGLE_FACTOR_PASSWORD_TOO_SHORT = {
  code: 'password.single_factor_too_short',
  vars: { min: SINGLE_FACTOR_PASSWORD_MIN_LENGTH },
} as const satisfies Message;

export function singleFactorPasswordTooShort(singleFactor: boolean, password: string): boolean {
  return singleFactor && password.length < SINGLE_FACTOR_PASSWORD_MIN_LENGTH;
}

/**
 * What a method's kind tells the policy: `inbox` methods deliver their secret to the account's email
 * address, the same inbox a password reset goes to, so the inbox alone would be both factors.
 */
export type MethodTraits = { kind: string; inbox?: boolean };

export const INBOX_ONLY_METHOD = { code: 'mfa.inbox_not_only_method' } as const satisfies Message;

/**
 * Whether `remaining` (the methods left after a change) is an acceptable set: none at all is the
 * caller's business (the store refuses removing the last method); otherwise at least one method
 * must not deliver through the password-reset inbox, when the account can reset its password there.
 */
export function soleMethodRefusal(remaining: MethodTraits[], canResetPasswordByEmail: boolean): DomainError | undefined {
  if (!canResetPasswordByEmail || remaining.length === 0) return undefined;
  return remaining.every((m) => m.inbox) ? new DomainError(INBOX_ONLY_METHOD.code, { status: 409 }) : undefined;
}

/** Registering `candidate` beside `existing`: an inbox method needs another method to stand beside it. */
export function enrolmentRefusal(candidate: MethodTraits, existing: MethodTraits[], canResetPasswordByEmail: boolean): DomainError | undefined {
  return soleMethodRefusal([...existing, candidate], canResetPasswordByEmail);
}

/** After the first factor: what the login still needs. */
export type SecondFactorNeed = 'none' | 'mfa_window' | 'challenge' | 'enrol';

export function secondFactorNeed(input: {
  account: { id: string; serviceAccount: boolean; mfaExempt: boolean };
  /** The account's methods that can be challenged (registry kinds only). */
  methodCount: number;
  /** A re-authentication of the same session may count its earlier MFA (8-hour window). */
  previous?: FactorMarks;
  reauth: boolean;
  now: number;
}): SecondFactorNeed {
  if (!usesMfa(input.account)) return 'none';
  const { previous } = input;
  if (input.reauth && previous?.accountId === input.account.id && previous.mfaAt !== null) {
    const needed = reauthenticationRequired({ passwordAt: input.now, mfaAt: previous.mfaAt, usesMfa: true, now: input.now });
    if (needed === 'none') return 'mfa_window';
  }
  return input.methodCount === 0 ? 'enrol' : 'challenge';
}
