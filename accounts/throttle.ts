// The throttle policy: every guessable secret and every mail-sending form is counted here, over the
// rate-limit store (accounts/rate-limits.ts), with the limits of security-constants.ts. Callers call
// one function per factor: check before verifying (a refusal never looks at the secret, so a correct
// one is refused the same way), then failed/succeeded after.
//
// Sign-in factors count per account across flows, keyed by the normalized username, so an unknown
// username is counted, waited and refused exactly like a known one; only the lockout email and audit
// (run after the response) differ, and the person answering can't see either.
import type { AuditAction, AuditLog } from './audit.ts';
import { translate } from './messages/catalog.ts';
import { normalizeUsername } from './account-rules.ts';
import { DomainError } from './errors.ts';
import type { EmailMessages } from './email-messages.ts';
import type { Mailer } from './mailer.ts';
import { deleteAll, getAll, type RateLimitStore } from './rate-limits.ts';
import {
  CLIENT_AUTH_FAILURES_PER_CLIENT,
  CLIENT_AUTH_FAILURES_PER_IP,
  CLIENT_AUTH_WINDOW_SECONDS,
  CLIENT_AUTH_CLEAN_CACHE_MS,
  EMAIL_CODE_FAILURE_WINDOW_SECONDS,
  EMAIL_CODE_FAILURES_PER_DAY,
  EMAIL_CODE_SEND_WINDOW_SECONDS,
  EMAIL_CODE_SENDS_PER_ACCOUNT,
  EMAIL_CODE_SENDS_PER_IP,
  FORGOT_PER_IP,
  FORGOT_PER_TARGET,
  FORGOT_WINDOW_SECONDS,
  INVITATION_FAILURES_PER_IP,
  INVITATION_WINDOW_SECONDS,
  PUSH_ENROLMENT_FAILURES_PER_IP,
  PUSH_ENROLMENT_WINDOW_SECONDS,
  SIGN_IN_BACKOFF_BASE_SECONDS,
  SIGN_IN_BACKOFF_MAX_SECONDS,
  SIGN_IN_FAILURE_WINDOW_SECONDS,
  SIGN_IN_FREE_FAILURES,
  SIGN_IN_IP_FAILURES,
  SIGN_IN_IP_USERNAME_FAILURES,
  SIGN_IN_IP_USERNAME_WINDOW_SECONDS,
  SIGN_IN_IP_WINDOW_SECONDS,
  SIGN_IN_LOCKOUT_FAILURES,
  SIGN_IN_LOCKOUT_SECONDS,
  SIGN_UP_PER_IP,
  SIGN_UP_PER_TARGET,
  SIGN_UP_WINDOW_SECONDS,
  THROTTLE_REFUSAL_AUDIT_WINDOW_SECONDS,
} from './security-constants.ts';

/** One answer for every throttle, so which limit refused (account, IP, pair) is never told apart. */
export class ThrottledError extends DomainError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super('throttle.wait', { status: 429, vars: { wait: waitMessage(seconds) } });
    this.retryAfterSeconds = seconds;
  }
}

/** A wait as a catalog message: seconds under a minute, else whole minutes (rounded up). */
export function waitMessage(seconds: number): { code: 'time.seconds' | 'time.minutes'; vars: { count: number } } {
  if (seconds < 60) return { code: 'time.seconds', vars: { count: seconds } };
  return { code: 'time.minutes', vars: { count: Math.ceil(seconds / 60) } };
}

export function describeWait(seconds: number, language = 'en'): string {
  const wait = waitMessage(seconds);
  return translate(language, wait.code, wait.vars);
}

/** How long the next sign-in attempt must wait after this many consecutive failures (0: no wait). */
export function signInWaitSeconds(failures: number): number {
  if (failures >= SIGN_IN_LOCKOUT_FAILURES) return SIGN_IN_LOCKOUT_SECONDS;
  if (failures <= SIGN_IN_FREE_FAILURES) return 0;
  return Math.min(SIGN_IN_BACKOFF_BASE_SECONDS * 2 ** (failures - SIGN_IN_FREE_FAILURES - 1), SIGN_IN_BACKOFF_MAX_SECONDS);
}

/** The store's limiter names (tests read and expire their state instead of waiting). */
export const LIMITERS = {
  signInFailures: 'signin-failures',
  signInWait: 'signin-wait',
  signInIp: 'signin-ip',
  signInIpUsername: 'signin-ip-username',
  refusals: 'refusals',
} as const;

/** Refusal counts at which an aggregate audit event is written (1, 10, 100, …). */
const isMilestone = (n: number) => n >= 1 && 10 ** Math.round(Math.log10(n)) === n;

export type LockoutStatus = { locked: boolean; failures: number; lockedUntil: Date | null; waitSeconds: number };

type AccountRef = { id: string; username: string; email: string; language?: string | null };
type RequestContext = { ip?: string; userAgent?: string };

export function createThrottlePolicy(deps: {
  store: RateLimitStore;
  audit: AuditLog;
  /** The account a username names (lockout email and audit only; never on the answering path). */
  findAccount(username: string): Promise<AccountRef | undefined>;
  mailer: Mailer;
  messages: Pick<EmailMessages, 'accountLocked'>;
  /** Absolute URL of "Forgot your credentials" (in the lockout email). */
  forgotUrl: string;
  /** Runs work after the response (background jobs), so its cost can't tell accounts apart. */
  later(name: string, job: () => Promise<unknown>): void;
  logger?: { warn(details: object, message: string): void };
  clock?: () => number;
}) {
  const { store } = deps;
  const now = () => (deps.clock ?? Date.now)();
  const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

  const failures = store.limiter(LIMITERS.signInFailures, SIGN_IN_FAILURE_WINDOW_SECONDS);
  const waits = store.limiter(LIMITERS.signInWait, SIGN_IN_FAILURE_WINDOW_SECONDS);
  const ipFailures = store.limiter(LIMITERS.signInIp, SIGN_IN_IP_WINDOW_SECONDS);
  const pairFailures = store.limiter(LIMITERS.signInIpUsername, SIGN_IN_IP_USERNAME_WINDOW_SECONDS);
  const refusals = store.limiter(LIMITERS.refusals, THROTTLE_REFUSAL_AUDIT_WINDOW_SECONDS);

  /** A fixed-window limit: at most `max` per key and window. */
  function windowed(name: string, max: number, windowSeconds: number) {
    const limiter = store.limiter(name, windowSeconds);
    return {
      /** Refuses while the key has reached its limit. */
      async check(key: string) {
        const c = await limiter.get(key);
        if (c && c.count >= max) throw new ThrottledError(seconds(c.resetInMs));
      },
      async hit(key: string) {
        await limiter.add(key);
      },
      /** Counts one use, refusing it when it is over the limit (each send counts, refused or not). */
      async take(key: string) {
        const c = await limiter.add(key);
        if (c.count > max) throw new ThrottledError(seconds(c.resetInMs));
      },
      clear: (key: string) => limiter.delete(key),
    };
  }

  /**
   * A refused attempt: counted, and audited only at 1, 10, 100… refusals per subject and hour (with the
   * count), in the account's organization when there is an account, so a guessing attack can't fill
   * the disk or queue on the audit chain. Runs after the response.
   */
  async function refused(subject: string, action: 'session.sign_in' | `email_code.${string}`, context: RequestContext, account?: () => Promise<{ id: string } | undefined>) {
    const { count } = await refusals.add(`${action}|${subject}`);
    if (!isMilestone(count)) return;
    deps.later('throttle-refusal-audit', async () => {
      const found = await account?.();
      if (!found) {
        deps.logger?.warn({ action, refused: count, ip: context.ip }, 'throttle refusals');
        return;
      }
      await deps.audit.record({
        actor: null,
        action: `${action}_throttled` as AuditAction,
        target: found.id,
        outcome: 'denied',
        details: { refused: count, window_seconds: THROTTLE_REFUSAL_AUDIT_WINDOW_SECONDS },
        ...context,
      });
    });
  }

  async function lockoutOf(username: string): Promise<LockoutStatus> {
    const subject = normalizeUsername(username);
    const [f, w] = await Promise.all([failures.get(subject), waits.get(subject)]);
    const count = f?.count ?? 0;
    const locked = Boolean(w) && count >= SIGN_IN_LOCKOUT_FAILURES;
    return {
      locked,
      failures: count,
      lockedUntil: locked && w ? new Date(now() + w.resetInMs) : null,
      waitSeconds: w ? seconds(w.resetInMs) : 0,
    };
  }

  const signIn = {
    /** Before any secret of a sign-in is verified: throws ThrottledError while the account, the IP or the pair must wait. */
    async check(attempt: { username: string; account?: AccountRef } & RequestContext) {
      const subject = normalizeUsername(attempt.username);
      // The three counters in one round trip (every factor of every sign-in comes through here).
      const [wait, ip, pair] = await getAll(store, attempt.ip
        ? [[waits, subject], [ipFailures, attempt.ip], [pairFailures, `${attempt.ip}|${subject}`]]
        : [[waits, subject]]);
      const ms = Math.max(
        wait?.resetInMs ?? 0,
        ip && ip.count >= SIGN_IN_IP_FAILURES ? ip.resetInMs : 0,
        pair && pair.count >= SIGN_IN_IP_USERNAME_FAILURES ? pair.resetInMs : 0,
      );
      if (ms <= 0) return;
      const context = { ip: attempt.ip, userAgent: attempt.userAgent };
      await refused(subject, 'session.sign_in', context, async () => attempt.account ?? deps.findAccount(subject));
      throw new ThrottledError(seconds(ms));
    },

    /** A wrong secret (any factor): counts per account, IP and pair; waits grow; the 20th locks the account. */
    async failed(attempt: { username: string; account?: AccountRef } & RequestContext) {
      const subject = normalizeUsername(attempt.username);
      const [{ count }] = await Promise.all([
        failures.add(subject),
        attempt.ip ? ipFailures.add(attempt.ip) : undefined,
        attempt.ip ? pairFailures.add(`${attempt.ip}|${subject}`) : undefined,
      ]);
      const wait = signInWaitSeconds(count);
      if (wait > 0) await waits.set(subject, count, wait);
      if (count !== SIGN_IN_LOCKOUT_FAILURES) return;
      deps.later('account-lockout', async () => {
        const account = attempt.account ?? (await deps.findAccount(subject));
        if (!account) return; // an unknown username: nobody to tell, no organization's log
        await deps.audit.record({
          actor: null,
          action: 'account.locked',
          target: account.id,
          outcome: 'success',
          details: { failures: count, locked_seconds: wait },
          ip: attempt.ip,
          userAgent: attempt.userAgent,
        });
        await deps.mailer.send({
          to: account.email,
          ...deps.messages.accountLocked({ language: account.language, username: account.username, minutes: Math.round(wait / 60), failures: count, forgotUrl: deps.forgotUrl }),
        });
      });
    },

    /** A completed sign-in (every factor): the run of consecutive failures ends. */
    async succeeded(attempt: { username: string } & RequestContext) {
      const subject = normalizeUsername(attempt.username);
      await deleteAll(store, attempt.ip ? [[failures, subject], [waits, subject], [pairFailures, `${attempt.ip}|${subject}`]] : [[failures, subject], [waits, subject]]);
    },

    lockout: lockoutOf,

    /** An administrator's unlock: failures and waits are gone at once. */
    async unlock(username: string) {
      const subject = normalizeUsername(username);
      const before = await lockoutOf(subject);
      await Promise.all([failures.delete(subject), waits.delete(subject)]);
      return before;
    },
  };

  const clientIp = windowed('client-auth-ip', CLIENT_AUTH_FAILURES_PER_IP, CLIENT_AUTH_WINDOW_SECONDS);
  const clientId = windowed('client-auth-client', CLIENT_AUTH_FAILURES_PER_CLIENT, CLIENT_AUTH_WINDOW_SECONDS);
  // Keys this process recently found with no failures, and until when (real time: a cache, not a window).
  const cleanUntil = new Map<string, number>();
  const CLEAN_CACHE_LIMIT = 10_000;
  const isClean = (key: string | undefined, now: number) => key === undefined || (cleanUntil.get(key) ?? 0) > now;
  async function checkAndRemember(key: string | undefined, limit: { check(key: string): Promise<void> }, value: string | undefined) {
    if (key === undefined || value === undefined) return;
    await limit.check(value);
    if (cleanUntil.size >= CLEAN_CACHE_LIMIT) cleanUntil.clear();
    cleanUntil.set(key, Date.now() + CLIENT_AUTH_CLEAN_CACHE_MS);
  }
  const clientAuth = {
    /**
     * Before the provider authenticates a client at /token, introspection or revocation. Nothing to
     * wait for (undefined) while this process recently saw no failures for the IP and the client id:
     * the token endpoint's hot path allocates no promise for it.
     */
    check(attempt: { clientId?: string; ip?: string }): Promise<void> | undefined {
      const ipKey = attempt.ip ? `ip|${attempt.ip}` : undefined;
      const clientKey = attempt.clientId ? `client|${attempt.clientId}` : undefined;
      const now = Date.now();
      const ipClean = isClean(ipKey, now);
      const clientClean = isClean(clientKey, now);
      if (ipClean && clientClean) return undefined;
      return Promise.all([
        ipClean ? undefined : checkAndRemember(ipKey, clientIp, attempt.ip),
        clientClean ? undefined : checkAndRemember(clientKey, clientId, attempt.clientId),
      ]).then(() => undefined);
    },
    async failed(attempt: { clientId?: string; ip?: string }) {
      if (attempt.ip) cleanUntil.delete(`ip|${attempt.ip}`);
      if (attempt.clientId) cleanUntil.delete(`client|${attempt.clientId}`);
      await Promise.all([attempt.ip ? clientIp.hit(attempt.ip) : undefined, attempt.clientId ? clientId.hit(attempt.clientId.slice(0, 200)) : undefined]);
    },
  };

  const codeFailures = windowed('email-code-failures', EMAIL_CODE_FAILURES_PER_DAY, EMAIL_CODE_FAILURE_WINDOW_SECONDS);
  const codeSendsAccount = windowed('email-code-sends', EMAIL_CODE_SENDS_PER_ACCOUNT, EMAIL_CODE_SEND_WINDOW_SECONDS);
  const codeSendsIp = windowed('email-code-sends-ip', EMAIL_CODE_SENDS_PER_IP, EMAIL_CODE_SEND_WINDOW_SECONDS);
  const emailCodes = {
    /** Before a typed code is compared: refused after 10 wrong codes a day for this account and purpose, whichever codes they were for. */
    async check(accountId: string, purpose: string, context: RequestContext = {}) {
      try {
        await codeFailures.check(`${accountId}|${purpose}`);
      } catch (err) {
        await refused(accountId, `email_code.${purpose}`, context, async () => ({ id: accountId }));
        throw err;
      }
    },
    failed: (accountId: string, purpose: string) => codeFailures.hit(`${accountId}|${purpose}`),
    /** Before a code is sent: per account and purpose, and per IP. */
    async send(accountId: string, purpose: string, context: RequestContext = {}) {
      await codeSendsAccount.take(`${accountId}|${purpose}`);
      if (context.ip) await codeSendsIp.take(context.ip);
    },
  };

  const forgotIp = windowed('forgot-ip', FORGOT_PER_IP, FORGOT_WINDOW_SECONDS);
  const forgotTarget = windowed('forgot-target', FORGOT_PER_TARGET, FORGOT_WINDOW_SECONDS);
  const signUpIp = windowed('sign-up-ip', SIGN_UP_PER_IP, SIGN_UP_WINDOW_SECONDS);
  const signUpTarget = windowed('sign-up-target', SIGN_UP_PER_TARGET, SIGN_UP_WINDOW_SECONDS);
  const pushIp = windowed('push-enrolment-ip', PUSH_ENROLMENT_FAILURES_PER_IP, PUSH_ENROLMENT_WINDOW_SECONDS);
  const invitationIp = windowed('invitation-ip', INVITATION_FAILURES_PER_IP, INVITATION_WINDOW_SECONDS);

  return {
    signIn,
    clientAuth,
    emailCodes,
    /** "Forgot your credentials": each request counts per IP and per typed identifier (lower-cased). */
    async forgot(identifier: string, context: RequestContext) {
      if (context.ip) await forgotIp.take(context.ip);
      await forgotTarget.take(identifier.trim().toLowerCase());
    },
    /** Sign-up: each attempt counts per IP and per email address. */
    async signUp(email: string, context: RequestContext) {
      if (context.ip) await signUpIp.take(context.ip);
      await signUpTarget.take(email.trim().toLowerCase());
    },
    /** Push-device enrolment codes: refused after 10 wrong ones an hour from one IP. */
    pushEnrolment: { check: (ip?: string) => (ip ? pushIp.check(ip) : Promise.resolve()), failed: (ip?: string) => (ip ? pushIp.hit(ip) : Promise.resolve()) },
    /** Invitation links: refused after 20 unusable ones an hour from one IP. */
    invitation: { check: (ip?: string) => (ip ? invitationIp.check(ip) : Promise.resolve()), failed: (ip?: string) => (ip ? invitationIp.hit(ip) : Promise.resolve()) },
  };
}

export type ThrottlePolicy = ReturnType<typeof createThrottlePolicy>;
