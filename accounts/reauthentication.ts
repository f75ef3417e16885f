// The re-authentication rule (reference: "Manage Sensitive Account Information"), in one place:
// password older than 30 min → password again; with MFA, MFA older than 8 h → password and MFA.
import { REAUTH_MFA_WINDOW_SECONDS, REAUTH_PASSWORD_WINDOW_SECONDS } from './security-constants.ts';

export type ReauthRequirement = 'none' | 'password' | 'password_and_mfa';

/** When each factor was last proven in a session (epoch seconds); null when never. */
export type FactorMarks = {
  accountId: string;
  passwordAt: number | null;
  mfaAt: number | null;
  /** The upstream identity (federation) the session signed in with, if it did ("Logged In Via"). */
  identityId?: string | null;
  /** The MFA method kind the session signed in with, if any ("Logged In Via" says it in the method's words). */
  mfaMethod?: string | null;
};

export function reauthenticationRequired(input: {
  passwordAt: number | null;
  mfaAt: number | null;
  /** Whether this account signs in with MFA at all (false for exempt service accounts). */
  usesMfa: boolean;
  now: number;
}): ReauthRequirement {
  const { passwordAt, mfaAt, usesMfa, now } = input;
  if (usesMfa && (mfaAt === null || now - mfaAt > REAUTH_MFA_WINDOW_SECONDS)) return 'password_and_mfa';
  if (passwordAt === null || now - passwordAt > REAUTH_PASSWORD_WINDOW_SECONDS) return 'password';
  return 'none';
}

/** Factor marks per provider session; stored beside the provider's own session state. */
export type FactorMarksStore = {
  get(sessionUid: string): Promise<FactorMarks | undefined>;
  put(sessionUid: string, marks: FactorMarks): Promise<void>;
};
