// Six-digit one-time codes sent by email (verify an address, confirm a new one). At rest only an
// HMAC under a server key; 15 minutes; 5 attempts, each spent before the code is compared, so
// parallel guesses can't exceed the limit; single use. Across codes the throttle (accounts/throttle.ts)
// counts wrong codes per account and purpose, so a new code brings no fresh tries, and limits sending.
import { createHmac, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { DomainError } from './errors.ts';
import { EMAIL_CODE_DIGITS, EMAIL_CODE_MAX_ATTEMPTS, EMAIL_CODE_TTL_SECONDS } from './security-constants.ts';
import type { ThrottlePolicy } from './throttle.ts';

type RequestContext = { ip?: string; userAgent?: string };

/** What a code is for; one pending code per account and purpose. Features name their own (a method: its kind). */
export type EmailCodePurpose = string;

export type PendingEmailCode = {
  id: string;
  accountId: string;
  purpose: EmailCodePurpose;
  /** The address the code was sent to (for a change: the new address). */
  email: string;
  codeHash: string;
  attempts: number;
  expiresAt: Date;
};

export type EmailCodeStore = {
  /** Stores a new pending code, replacing any pending one of the same account and purpose. */
  replace(code: Omit<PendingEmailCode, 'attempts'>): Promise<void>;
  findPending(accountId: string, purpose: EmailCodePurpose): Promise<PendingEmailCode | undefined>;
  /** Spends one attempt if fewer than `max` were spent and the code is unused: the attempts spent now, or undefined. */
  spendAttempt(id: string, max: number): Promise<number | undefined>;
  /** Marks the code used; true only for the call that did it. */
  consume(id: string): Promise<boolean>;
  remove(id: string): Promise<void>;
};

export const CODE_EXPIRED = () =>
  new DomainError('code.expired', { field: 'code' });
export const CODE_TOO_MANY_ATTEMPTS = () =>
  new DomainError('code.too_many_attempts', { status: 429, field: 'code' });
export const CODE_INVALID = (left: number) =>
  new DomainError('code.invalid', { field: 'code', vars: { count: left } });

export function createEmailCodes(deps: { store: EmailCodeStore; secret: Buffer; throttle?: ThrottlePolicy['emailCodes']; clock?: () => number }) {
  const now = () => (deps.clock ?? Date.now)();
  const digest = (id: string, code: string) => createHmac('sha256', deps.secret).update(`${id}:${code}`).digest('hex');

  return {
    /** A fresh code for this account and purpose; the previous one stops working. */
    async issue(accountId: string, purpose: EmailCodePurpose, email: string, context: RequestContext = {}, options: { ttlSeconds?: number } = {}): Promise<{ id: string; code: string }> {
      await deps.throttle?.send(accountId, purpose, context); // throws ThrottledError past the sending limits
      const id = randomUUID();
      const code = String(randomInt(0, 10 ** EMAIL_CODE_DIGITS)).padStart(EMAIL_CODE_DIGITS, '0');
      await deps.store.replace({
        id,
        accountId,
        purpose,
        email,
        codeHash: digest(id, code),
        expiresAt: new Date(now() + (options.ttlSeconds ?? EMAIL_CODE_TTL_SECONDS) * 1000),
      });
      return { id, code };
    },

    /** The address a pending, unexpired code was sent to. */
    async pending(accountId: string, purpose: EmailCodePurpose): Promise<string | undefined> {
      const found = await deps.store.findPending(accountId, purpose);
      return found && found.expiresAt.getTime() > now() ? found.email : undefined;
    },

    /** Checks a typed code; returns the address it was sent to, or throws a code.* DomainError. */
    async redeem(accountId: string, purpose: EmailCodePurpose, typed: string, context: RequestContext = {}): Promise<string> {
      await deps.throttle?.check(accountId, purpose, context); // before any code is compared: the right one is refused too
      const code = typed.replace(/\s+/g, '');
      const pending = await deps.store.findPending(accountId, purpose);
      if (!pending || pending.expiresAt.getTime() <= now()) throw CODE_EXPIRED();
      const spent = await deps.store.spendAttempt(pending.id, EMAIL_CODE_MAX_ATTEMPTS);
      if (spent === undefined) throw CODE_TOO_MANY_ATTEMPTS();
      const expected = Buffer.from(pending.codeHash, 'hex');
      const actual = Buffer.from(digest(pending.id, code), 'hex');
      const matches = /^\d+$/.test(code) && expected.length === actual.length && timingSafeEqual(expected, actual);
      if (!matches) {
        await deps.throttle?.failed(accountId, purpose);
        const left = EMAIL_CODE_MAX_ATTEMPTS - spent;
        throw left <= 0 ? CODE_TOO_MANY_ATTEMPTS() : CODE_INVALID(left);
      }
      if (!(await deps.store.consume(pending.id))) throw CODE_EXPIRED();
      return pending.email;
    },

    discard: (id: string) => deps.store.remove(id),
  };
}

export type EmailCodes = ReturnType<typeof createEmailCodes>;
