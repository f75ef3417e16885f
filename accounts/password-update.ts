// Setting a new password (reset or change): the sign-up rules, the common-password rule, and
// "not one of the previous three passwords", then the new argon2id hash with the history kept.
import { passwordViolations } from './account-rules.ts';
import { ValidationError, violation } from './errors.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { commonPasswordViolations } from './password-strength.ts';
import { PASSWORD_HISTORY_DEPTH } from './security-constants.ts';
import { SINGLE_FACTOR_PASSWORD_TOO_SHORT, singleFactorPasswordTooShort } from './mfa-policy.ts';

export type StoredPassword = {
  credentialId: string;
  accountId: string;
  hash: string;
  /** Earlier hashes, newest first (at most PASSWORD_HISTORY_DEPTH - 1 are kept). */
  history: string[];
  /** An MFA-exempt service account: its password is its only factor. */
  singleFactor?: boolean;
};

export type PasswordStore = {
  findByAccount(accountId: string): Promise<StoredPassword | undefined>;
  /** Replaces the hash and history; false when the stored hash is no longer `expectedHash` (a concurrent change). */
  replace(credentialId: string, expectedHash: string, hash: string, history: string[]): Promise<boolean>;
};

export const PASSWORD_REUSED = violation('password', 'password.reused', { count: PASSWORD_HISTORY_DEPTH });

export function createPasswordUpdate(deps: { passwords: PasswordStore; hasher: PasswordHasher }) {
  /** "Previous three": the current password and the two before it. */
  const previous = (stored: StoredPassword) => [stored.hash, ...stored.history].slice(0, PASSWORD_HISTORY_DEPTH);

  async function reused(stored: StoredPassword, password: string): Promise<boolean> {
    for (const hash of previous(stored)) if (await deps.hasher.verify(hash, password)) return true;
    return false;
  }

  return {
    /** Throws ValidationError when the new password breaks a rule or repeats a recent one. */
    async check(stored: StoredPassword, password: string, personalWords: string[]): Promise<void> {
      const violations = passwordViolations(password);
      if (singleFactorPasswordTooShort(stored.singleFactor === true, password)) {
        violations.push(violation('password', SINGLE_FACTOR_PASSWORD_TOO_SHORT.code, SINGLE_FACTOR_PASSWORD_TOO_SHORT.vars));
      }
      if (violations.length === 0) violations.push(...commonPasswordViolations(password, personalWords));
      if (violations.length === 0 && (await reused(stored, password))) violations.push(PASSWORD_REUSED);
      if (violations.length > 0) throw new ValidationError(violations);
    },

    /** Stores the new password (already checked) and pushes the old hash into the history. */
    async store(stored: StoredPassword, password: string): Promise<boolean> {
      const hash = await deps.hasher.hash(password);
      return deps.passwords.replace(stored.credentialId, stored.hash, hash, previous(stored).slice(0, PASSWORD_HISTORY_DEPTH - 1));
    },
  };
}

export type PasswordUpdate = ReturnType<typeof createPasswordUpdate>;
