// "Forgot your credentials": one field, a username or an email address.
//   - an email address → one email to it listing every username that uses it;
//   - a username → a reset link to that account's address, whatever the username looks like (the
//     reference product can't reset usernames that look like email addresses; we can);
//   - both (a username that is also someone's address) → both emails, each to its own address.
// Callers answer the person before this runs (same page, status and timing whatever matched).
import type { AuditLog } from './audit.ts';
import { emailViolations, normalizeEmail } from './account-rules.ts';
import type { EmailMessages } from './email-messages.ts';
import type { RequestContext } from './email-verification.ts';
import { deliver, type ErrorLogger } from './mail-delivery.ts';
import type { Mailer } from './mailer.ts';
import type { PasswordReset } from './password-reset.ts';
import type { ProfileStore } from './profile.ts';

/** What the form accepts: a username (≤ 100) or an address (≤ 254); anything else can't match. */
export function forgotIdentifier(input: string): string | undefined {
  const value = input.trim();
  return value.length > 0 && value.length <= 254 && !/[\x00-\x1f\x7f]/.test(value) ? value : undefined;
}

export function createForgotCredentials(deps: {
  profiles: ProfileStore;
  reset: PasswordReset;
  mailer: Mailer;
  messages: EmailMessages;
  audit: AuditLog;
  issuer: string;
  logger?: ErrorLogger;
}) {
  const { profiles, audit } = deps;

  return {
    /** Sends whatever matches; never throws for "nothing matched" or a mail failure (both are audited). */
    async request(input: string, context: RequestContext = {}): Promise<{ usernameList: boolean; resetLink: boolean }> {
      const identifier = forgotIdentifier(input);
      const result = { usernameList: false, resetLink: false };
      if (!identifier) return result;

      const byUsername = identifier.length <= 100 ? await profiles.findByUsername(identifier) : undefined;
      if (byUsername) {
        result.resetLink = await deps.reset.issueLink(byUsername.id, { context }).catch(() => false);
      }

      if (emailViolations(identifier).length === 0) {
        const email = normalizeEmail(identifier);
        const accounts = await profiles.findByEmail(email);
        if (accounts.length > 0) {
          const event = { actor: null, action: 'credentials.username_list' as const, target: email, outcome: 'success' as const, details: { accounts: accounts.length }, ...context };
          const message = deps.messages.usernameList({
            // One email for every account of the address: the language one of them chose, if any.
            language: accounts.find((a) => a.language)?.language,
            usernames: accounts.map((a) => a.username).sort((a, b) => a.localeCompare(b)),
            forgotUrl: `${deps.issuer}/forgot`,
            signInUrl: `${deps.issuer}/account`,
          });
          try {
            await deliver(deps, email, message, event);
            await audit.record(event);
            result.usernameList = true;
          } catch {
            // audited and logged by deliver(); the person was already answered
          }
        }
      }
      if (!result.resetLink && !result.usernameList) {
        await audit.record({ actor: null, action: 'credentials.forgot' as const, outcome: 'failure', details: { reason: 'no_match_or_not_sent' }, ...context });
      }
      return result;
    },
  };
}

export type ForgotCredentials = ReturnType<typeof createForgotCredentials>;
