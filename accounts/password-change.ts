// "Change password" on the profile: the current password, then the new one under the same rules
// as a reset (+ history of 3). Other sessions of the account end; this one stays signed in.
import type { AuditLog } from './audit.ts';
import { DomainError, ValidationError, assertThat, violation } from './errors.ts';
import type { EmailMessages } from './email-messages.ts';
import type { RequestContext } from './email-verification.ts';
import { deliver, type ErrorLogger } from './mail-delivery.ts';
import type { Mailer } from './mailer.ts';
import type { PasswordHasher } from './password-hasher.ts';
import type { ResetTokenStore } from './password-reset.ts';
import type { PasswordStore, PasswordUpdate } from './password-update.ts';
import { personalWords } from './password-strength.ts';
import type { ProfileStore } from './profile.ts';
import type { SessionRevoker } from './session-revocation.ts';

export function createPasswordChange(deps: {
  profiles: ProfileStore;
  passwords: PasswordStore;
  tokens: ResetTokenStore;
  hasher: PasswordHasher;
  update: PasswordUpdate;
  revoker: SessionRevoker;
  mailer: Mailer;
  messages: EmailMessages;
  audit: AuditLog;
  issuer: string;
  clock?: () => number;
  logger?: ErrorLogger;
}) {
  const { profiles, passwords, audit } = deps;

  return {
    async change(
      accountId: string,
      input: { currentPassword: string; newPassword: string },
      options: RequestContext & { keepSessionUid?: string } = {},
    ): Promise<{ revoked: { sessions: number; grants: number } }> {
      const { keepSessionUid, ...context } = options;
      const account = await profiles.find(accountId);
      const stored = account && !account.sso ? await passwords.findByAccount(accountId) : undefined;
      assertThat(
        account && stored,
        () => new DomainError('password.managed_by_idp', { status: 403 }),
      );
      const fail = async (err: DomainError) => {
        await audit.record({ actor: accountId, action: 'password.change', target: accountId, outcome: 'failure', details: { reason: err.code }, ...context });
        throw err;
      };
      if (!(await deps.hasher.verify(stored.hash, input.currentPassword.slice(0, 256)))) {
        await fail(new ValidationError([violation('currentPassword', 'password.current_incorrect')]));
      }
      try {
        await deps.update.check(stored, input.newPassword, personalWords(account));
      } catch (err) {
        await fail(err as DomainError);
      }
      if (!(await deps.update.store(stored, input.newPassword))) {
        await fail(new DomainError('password.changed_concurrently', { status: 409 }));
      }
      await deps.tokens.invalidateAll(accountId, new Date((deps.clock ?? Date.now)()));
      const revoked = await deps.revoker.revokeAccount(accountId, { keepSessionUid });
      await audit.record({ actor: accountId, action: 'password.change', target: accountId, outcome: 'success', details: { revoked }, ...context });
      await deliver(
        deps,
        account.email,
        deps.messages.passwordChanged({ language: account.language, username: account.username, forgotUrl: `${deps.issuer}/forgot`, reset: false }),
        { actor: accountId, action: 'password.change_notice', target: accountId, outcome: 'success', ...context },
      ).catch(() => {});
      return { revoked };
    },
  };
}

export type PasswordChange = ReturnType<typeof createPasswordChange>;
