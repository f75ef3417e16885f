// Email verification for local accounts: a 6-digit code to the account's address; "Confirm" with it
// marks the address verified (the ID token's email_verified follows). SSO accounts' addresses come
// from their identity provider: they are never asked and can't verify here. Used by the profile's
// Contact Info tab and by the sign-in prompt ("Verify your email").
import type { AuditLog } from './audit.ts';
import { ThrottledError } from './throttle.ts';
import { DomainError, assertThat } from './errors.ts';
import type { EmailCodes } from './email-codes.ts';
import type { EmailMessages } from './email-messages.ts';
import { deliver, type ErrorLogger } from './mail-delivery.ts';
import type { Mailer } from './mailer.ts';
import { SSO_EMAIL_MANAGED, type ProfileStore } from './profile.ts';
import { EMAIL_CODE_TTL_SECONDS } from './security-constants.ts';

export type RequestContext = { ip?: string; userAgent?: string };

const NO_ACCOUNT = () => new DomainError('account.not_found', { status: 404 });
const ALREADY_VERIFIED = () =>
  new DomainError('email.already_verified', { status: 409 });

export function createEmailVerification(deps: {
  profiles: ProfileStore;
  codes: EmailCodes;
  mailer: Mailer;
  messages: EmailMessages;
  audit: AuditLog;
  logger?: ErrorLogger;
}) {
  const { profiles, codes, audit } = deps;

  return {
    /** Whether the sign-in prompt should ask this account to verify (local and unverified). */
    async needsVerification(accountId: string): Promise<boolean> {
      const account = await profiles.find(accountId);
      return Boolean(account && !account.sso && !account.emailVerified);
    },

    /** Sends a new code to the account's address; throws MailDeliveryError when mail fails (no code stays valid). */
    async send(accountId: string, context: RequestContext = {}): Promise<{ email: string }> {
      const account = await profiles.find(accountId);
      assertThat(account, NO_ACCOUNT);
      assertThat(!account.sso, SSO_EMAIL_MANAGED);
      assertThat(!account.emailVerified, ALREADY_VERIFIED);
      const { id, code } = await codes.issue(account.id, 'verify_email', account.email, context);
      const event = { actor: account.id, action: 'email.verification_sent' as const, target: account.id, outcome: 'success' as const, ...context };
      try {
        await deliver(deps, account.email, deps.messages.verifyEmail({ language: account.language, username: account.username, code, minutes: EMAIL_CODE_TTL_SECONDS / 60 }), event);
      } catch (err) {
        await codes.discard(id); // an unsent code must not stay valid
        throw err;
      }
      await audit.record(event);
      return { email: account.email };
    },

    /** Checks the code; on success the address is verified. Throws code.* DomainErrors otherwise. */
    async confirm(accountId: string, code: string, context: RequestContext = {}): Promise<{ email: string }> {
      const account = await profiles.find(accountId);
      assertThat(account, NO_ACCOUNT);
      assertThat(!account.sso, SSO_EMAIL_MANAGED);
      let email: string;
      try {
        email = await codes.redeem(account.id, 'verify_email', code, context);
      } catch (err) {
        // Refused by the throttle: recorded in aggregate there, not one row per attempt.
        if (!(err instanceof ThrottledError)) await audit.record({
          actor: account.id,
          action: 'email.verify' as const,
          target: account.id,
          outcome: 'failure',
          details: { reason: (err as DomainError).code },
          ...context,
        });
        throw err;
      }
      // The code was sent to the address the account had then; if it changed since, it proves nothing.
      const marked = await profiles.markEmailVerified(account.id, email);
      assertThat(marked, () => new DomainError('code.expired', { field: 'code' }));
      await audit.record({ actor: account.id, action: 'email.verify' as const, target: account.id, outcome: 'success', ...context });
      return { email };
    },

    /** The address a code was sent to and is still waiting for, if any. */
    pending: (accountId: string) => codes.pending(accountId, 'verify_email'),
  };
}

export type EmailVerification = ReturnType<typeof createEmailVerification>;
