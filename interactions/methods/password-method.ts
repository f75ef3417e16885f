// First factor: username + password. One generic message for "no such user" and "wrong
// password", with the same argon2 cost either way (the hasher verifies a dummy hash).
import type { AccountStore } from '../../accounts/account.ts';
import type { PasswordHasher } from '../../accounts/password-hasher.ts';
import type { SignInMethod } from './method.ts';
import type { Message } from '../../accounts/messages/language.ts';

export const INVALID_CREDENTIALS = {
  code: 'session.invalid_credentials',
  level: 'error',
} satisfies Message;

export function createPasswordMethod(deps: {
  accounts: AccountStore;
  hasher: PasswordHasher;
  /** Organizations that require SSO refuse their members' valid passwords (federation/sso-policy.ts). */
  ssoPolicy?: { localSignInRefusal(accountId: string): Promise<Message | undefined> };
}): SignInMethod {
  return {
    id: 'password',
    step: 'credentials',
    throttleSubject: (input) => (input.username ?? '').trim().slice(0, 100) || undefined,
    async submit(_flow, input) {
      const username = (input.username ?? '').trim();
      const password = input.password ?? '';
      if (username === '' || password === '') {
        return {
          kind: 'failed',
          message: { code: 'session.credentials_required', level: 'error' },
        };
      }
      // Bound the work an attacker can ask for: the rules cap real usernames and passwords.
      const credential = username.length <= 100 && password.length <= 256
        ? await deps.accounts.findPasswordCredential(username)
        : undefined;
      const ok = await deps.hasher.verify(credential?.hash, password.slice(0, 256));
      if (!credential || !ok) return { kind: 'failed', message: INVALID_CREDENTIALS, guess: true, accountId: credential?.accountId };
      const refusal = await deps.ssoPolicy?.localSignInRefusal(credential.accountId);
      if (refusal) return { kind: 'failed', message: refusal };
      if (deps.hasher.needsRehash(credential.hash)) {
        await deps.accounts.rehashPassword(credential.credentialId, await deps.hasher.hash(password));
      }
      return { kind: 'verified', accountId: credential.accountId, amr: ['pwd'] };
    },
  };
}
