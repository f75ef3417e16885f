// Changing the account's email: the new address gets a code; "Confirm" with it makes the new
// address the primary, verified one, and the old address gets a notice. SSO accounts can't
// (their identity provider owns the address). Re-authentication is the caller's job (routes).
import type { AuditLog } from './audit.ts';
import { emailViolations, normalizeEmail } from './account-rules.ts';
import { ThrottledError } from './throttle.ts';
import { DomainError, ValidationError, assertThat, violation } from './errors.ts';
import type { EmailCodes } from './email-codes.ts';
import type { EmailMessages } from './email-messages.ts';
import type { RequestContext } from './email-verification.ts';
import { deliver, type ErrorLogger } from './mail-delivery.ts';
import type { Mailer } from './mailer.ts';
import { SSO_EMAIL_MANAGED, type ProfileStore } from './profile.ts';
import { EMAIL_CODE_TTL_SECONDS } from './security-constants.ts';

const NO_ACCOUNT = () => new DomainError('account.not_found', { status: 404 });

export function createEmailChange(deps: {
  profiles: ProfileStore;
  codes: EmailCodes;
  mailer: Mailer;
  messages: EmailMessages;
  audit: AuditLog;
  issuer: string;
  logger?: ErrorLogger;
}) {
  const { profiles, codes, audit } = deps;

  return {
    /** Sends a code to the new address. Throws ValidationError, SSO refusal or MailDeliveryError. */
    async request(accountId: string, newEmail: string, context: RequestContext = {}): Promise<{ email: string }> {
      const account = await profiles.find(accountId);
      assertThat(account, NO_ACCOUNT);
      assertThat(!account.sso, SSO_EMAIL_MANAGED);
      const email = normalizeEmail(newEmail);
      const violations = emailViolations(email);
      if (violations.length > 0) throw new ValidationError(violations);
      if (email === account.email) {
        throw new ValidationError([violation('email', 'email.unchanged')]);
      }
      const { id, code } = await codes.issue(account.id, 'change_email', email, context);
      const event = {
        actor: account.id,
        action: 'email.change_requested' as const,
        target: account.id,
        outcome: 'success' as const,
        ...context,
      };
      try {
        await deliver(deps, email, deps.messages.confirmNewEmail({ language: account.language, username: account.username, code, minutes: EMAIL_CODE_TTL_SECONDS / 60 }), event);
      } catch (err) {
        await codes.discard(id);
        throw err;
      }
      await audit.record(event);
      return { email };
    },

    /** The new address waiting for its code, if any. */
    pending: (accountId: string) => codes.pending(accountId, 'change_email'),

    /** Checks the code sent to the new address; on success it becomes the primary, verified address. */
    async confirm(accountId: string, code: string, context: RequestContext = {}): Promise<{ email: string; previous: string }> {
      const account = await profiles.find(accountId);
      assertThat(account, NO_ACCOUNT);
      assertThat(!account.sso, SSO_EMAIL_MANAGED);
      let email: string;
      try {
        email = await codes.redeem(account.id, 'change_email', code, context);
      } catch (err) {
        // Refused by the throttle: recorded in aggregate there, not one row per attempt.
        if (!(err instanceof ThrottledError)) await audit.record({
          actor: account.id,
          action: 'email.change' as const,
          target: account.id,
          outcome: 'failure',
          details: { reason: (err as DomainError).code },
          ...context,
        });
        throw err;
      }
      await profiles.setEmail(account.id, email, true);
      await audit.record({ actor: account.id, action: 'email.change' as const, target: account.id, outcome: 'success', ...context });
      // The notice is best effort: the change is done, and a mail outage must not undo it.
      await deliver(
        deps,
        account.email,
        deps.messages.emailChanged({ language: account.language, username: account.username, newEmail: email, accountUrl: `${deps.issuer}/account` }),
        { actor: account.id, action: 'email.change_notice' as const, target: account.id, outcome: 'success', ...context },
      ).catch(() => {});
      return { email, previous: account.email };
    },
  };
}

export type EmailChange = ReturnType<typeof createEmailChange>;
