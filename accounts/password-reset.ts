// Password reset links: a 256-bit random token, only its SHA-256 digest at rest, bound to one
// account, single use, 60 minutes. Completing a reset applies the password rules (+ history),
// revokes every session and refresh token of the account, emails a confirmation and is audited.
// The same link is what an administrator sends for a user (issueLink with requestedBy).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { AuditLog } from './audit.ts';
import { DomainError, assertThat } from './errors.ts';
import type { EmailMessages } from './email-messages.ts';
import type { RequestContext } from './email-verification.ts';
import { deliver, type ErrorLogger } from './mail-delivery.ts';
import type { Mailer } from './mailer.ts';
import type { PasswordStore, PasswordUpdate } from './password-update.ts';
import { personalWords } from './password-strength.ts';
import type { ProfileStore } from './profile.ts';
import {
  PASSWORD_RESET_MAX_LINKS,
  PASSWORD_RESET_TOKEN_BYTES,
  PASSWORD_RESET_TTL_SECONDS,
  PASSWORD_RESET_WINDOW_SECONDS,
} from './security-constants.ts';
import type { SessionRevoker } from './session-revocation.ts';

export type ResetToken = { id: string; accountId: string; expiresAt: Date; usedAt: Date | null };

export type ResetTokenStore = {
  create(token: { id: string; accountId: string; tokenHash: string; requestedBy: string | null; createdAt: Date; expiresAt: Date }): Promise<void>;
  findByHash(tokenHash: string): Promise<ResetToken | undefined>;
  /** Marks the token used if it is unused; true only for the call that did it. */
  use(id: string, at: Date): Promise<boolean>;
  remove(id: string): Promise<void>;
  /** Every token of the account stops working (after a reset or a password change). */
  invalidateAll(accountId: string, at: Date): Promise<void>;
  /** Every other unused token of the account stops working: a newer link retires the older ones. */
  invalidateOthers(accountId: string, keepId: string, at: Date): Promise<void>;
  countSince(accountId: string, since: Date): Promise<number>;
};

export const RESET_LINK_INVALID = () =>
  new DomainError('reset.link_invalid', { status: 410 });

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

export function createPasswordReset(deps: {
  profiles: ProfileStore;
  passwords: PasswordStore;
  tokens: ResetTokenStore;
  update: PasswordUpdate;
  revoker: SessionRevoker;
  mailer: Mailer;
  messages: EmailMessages;
  audit: AuditLog;
  issuer: string;
  clock?: () => number;
  logger?: ErrorLogger;
}) {
  const { profiles, passwords, tokens, audit } = deps;
  const now = () => new Date((deps.clock ?? Date.now)());

  async function validToken(token: string): Promise<ResetToken | undefined> {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return undefined;
    const found = await tokens.findByHash(digest(token));
    if (!found || found.usedAt || found.expiresAt.getTime() <= now().getTime()) return undefined;
    return found;
  }

  return {
    /**
     * Emails a reset link to the account's address. Returns false (sends nothing) for accounts without
     * a Gatehouse password and when the account already got PASSWORD_RESET_MAX_LINKS links recently.
     * Throws MailDeliveryError when mail fails; the token is then deleted, never left valid.
     */
    async issueLink(accountId: string, options: { requestedBy?: string | null; context?: RequestContext } = {}): Promise<boolean> {
      const account = await profiles.find(accountId);
      const stored = account && !account.sso ? await passwords.findByAccount(account.id) : undefined;
      const requestedBy = options.requestedBy ?? null;
      const base = { actor: requestedBy ?? account?.id ?? null, action: 'password.reset_link' as const, target: accountId, ...options.context };
      if (!account || !stored) {
        await audit.record({ ...base, outcome: 'denied', details: { reason: account ? 'no_password' : 'no_account' } });
        return false;
      }
      const since = new Date(now().getTime() - PASSWORD_RESET_WINDOW_SECONDS * 1000);
      if ((await tokens.countSince(account.id, since)) >= PASSWORD_RESET_MAX_LINKS) {
        await audit.record({ ...base, outcome: 'denied', details: { reason: 'rate_limited' } });
        return false;
      }
      const token = randomBytes(PASSWORD_RESET_TOKEN_BYTES).toString('base64url');
      const id = randomUUID();
      const createdAt = now();
      await tokens.create({
        id,
        accountId: account.id,
        tokenHash: digest(token),
        requestedBy,
        createdAt,
        expiresAt: new Date(createdAt.getTime() + PASSWORD_RESET_TTL_SECONDS * 1000),
      });
      const event = { ...base, outcome: 'success' as const, details: { by_administrator: requestedBy !== null } };
      const email = deps.messages.passwordResetLink({
        language: account.language,
        username: account.username,
        link: `${deps.issuer}/reset/${token}`,
        minutes: PASSWORD_RESET_TTL_SECONDS / 60,
        byAdministrator: requestedBy !== null,
      });
      try {
        await deliver(deps, account.email, email, event);
      } catch (err) {
        await tokens.remove(id); // nothing half-done: an unsent link must not stay valid
        throw err;
      }
      // Only the newest link works: an older one still sitting in a mailbox is no longer a way in.
      await tokens.invalidateOthers(account.id, id, now());
      await audit.record(event);
      return true;
    },

    /** The account a link is for, while the link is valid (GET of the reset page). */
    async check(token: string): Promise<{ accountId: string; username: string } | undefined> {
      const found = await validToken(token);
      const account = found ? await profiles.find(found.accountId) : undefined;
      return found && account ? { accountId: account.id, username: account.username } : undefined;
    },

    /** Sets the new password; throws ValidationError (rules) or reset.link_invalid. */
    async complete(token: string, password: string, context: RequestContext = {}): Promise<{ accountId: string; username: string }> {
      const found = await validToken(token);
      assertThat(found, RESET_LINK_INVALID);
      const account = await profiles.find(found.accountId);
      const stored = account && !account.sso ? await passwords.findByAccount(account.id) : undefined;
      assertThat(account && stored, RESET_LINK_INVALID);
      try {
        await deps.update.check(stored, password, personalWords(account));
      } catch (err) {
        await audit.record({ actor: account.id, action: 'password.reset' as const, target: account.id, outcome: 'failure', details: { reason: (err as DomainError).code }, ...context });
        throw err;
      }
      // Spend the link first: of two parallel submissions only one may set a password.
      assertThat(await tokens.use(found.id, now()), RESET_LINK_INVALID);
      assertThat(await deps.update.store(stored, password), RESET_LINK_INVALID);
      await tokens.invalidateAll(account.id, now());
      const revoked = await deps.revoker.revokeAccount(account.id);
      await audit.record({ actor: account.id, action: 'password.reset' as const, target: account.id, outcome: 'success', details: { revoked }, ...context });
      await deliver(
        deps,
        account.email,
        deps.messages.passwordChanged({ language: account.language, username: account.username, forgotUrl: `${deps.issuer}/forgot`, reset: true }),
        { actor: account.id, action: 'password.reset_notice' as const, target: account.id, outcome: 'success', ...context },
      ).catch(() => {}); // the password is changed; a lost notice is logged and audited, not undone
      return { accountId: account.id, username: account.username };
    },
  };
}

export type PasswordReset = ReturnType<typeof createPasswordReset>;
