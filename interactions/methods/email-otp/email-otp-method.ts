// Email one-time code: a 6-digit code sent to the account's verified address (accounts/email-codes.ts:
// only an HMAC at rest, 10 minutes, 5 tries per code spent before comparing, single use). It proves
// the inbox, which is also where a password reset goes, so it may never be someone's only method
// (accounts/mfa-policy.ts); the enrolment page says so. RFC 8176 amr: `otp` (+ `mfa`); "Logged In
// Via" says "email code". Its action: "Send a new code" (EMAIL_OTP_RESENDS_PER_FLOW per sign-in,
// and the codes' throttle per account and IP). Templates: views/templates/mfa/email_otp-*.njk and
// views/templates/email/email-otp-code.*.njk.
import { z } from 'zod';
import type { AuditLog } from '../../../accounts/audit.ts';
import type { EmailCodes } from '../../../accounts/email-codes.ts';
import { attempt } from '../../../accounts/errors.ts';
import { deliver } from '../../../accounts/mail-delivery.ts';
import type { Mailer } from '../../../accounts/mailer.ts';
import { validMethodName, type MfaStore } from '../../../accounts/mfa.ts';
import { INBOX_ONLY_METHOD } from '../../../accounts/mfa-policy.ts';
import { EMAIL_OTP_RESENDS_PER_FLOW, EMAIL_OTP_TTL_SECONDS } from '../../../accounts/security-constants.ts';
import { ThrottledError } from '../../../accounts/throttle.ts';
import { emailMessages } from '../../../views/email.ts';
import { translatorFor } from '../../../views/language.ts';
import type { FlowMessage } from '../../login/flow.ts';
import type { ActionResult, MfaContext, MfaStrategy } from '../method.ts';
import { scratchSpace } from '../scratch.ts';

export const EMAIL_OTP_KIND = 'email_otp';
/** Code purposes (one pending code per account and purpose): signing in, and setting the method up. */
const PURPOSE = { challenge: 'email_otp', enrol: 'email_otp_enrol' } as const;

/** What this flow sent: whether the last send worked (and if not, why), and how many times "Send a new code" was used. */
const sentSchema = z.object({
  sent: z.boolean(),
  resends: z.number().int().nonnegative(),
  problem: z.object({ code: z.string(), vars: z.record(z.string(), z.unknown()).optional() }).optional(),
});
const challengeScratch = scratchSpace(EMAIL_OTP_KIND, sentSchema);
const enrolScratch = scratchSpace(`${EMAIL_OTP_KIND}_enrol`, sentSchema);

// Its messages are catalog entries (accounts/messages/: mfa.email_otp_*, mfa.kind.email_otp, audit.mfa.email_otp_sent).
export const EMAIL_OTP_MESSAGES = {
  sent: (to: string): FlowMessage => ({ code: 'mfa.email_otp_sent', vars: { to }, level: 'info' }),
  resendLimit: { code: 'mfa.email_otp_resend_limit', level: 'error' },
  unverified: { code: 'mfa.email_otp_unverified', level: 'error' },
} as const satisfies Record<string, FlowMessage | ((to: string) => FlowMessage)>;

/** "j•••@example.com": enough for the person to recognise their address, less for someone looking over a shoulder. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return email;
  return `${email[0]}•••${email.slice(at)}`;
}

export type EmailOtpDependencies = {
  mfa: MfaStore;
  /** Emailed codes, with their throttle (sends per account and IP, wrong codes per account: accounts/throttle.ts). */
  codes: EmailCodes;
  mailer: Mailer;
  audit: AuditLog;
  logger?: { error(details: object, message: string): void };
};

export function createEmailOtpMethod(deps: EmailOtpDependencies): MfaStrategy {
  const { codes } = deps;

  /** Sends a fresh code for `purpose`; the previous one stops working. Throws a DomainError (throttled, mail down). */
  async function send(ctx: MfaContext, purpose: string) {
    const { account } = ctx;
    // The codes' own throttle (accounts/throttle.ts) refuses past the sending limits per account and IP.
    const { id, code } = await codes.issue(account.id, purpose, account.email, ctx.request, { ttlSeconds: EMAIL_OTP_TTL_SECONDS });
    const event = { actor: account.id, action: 'mfa.email_otp_sent' as const, target: account.id, organizationId: account.organization?.id ?? null, outcome: 'success' as const, details: { purpose }, ...ctx.request };
    const email = emailMessages.emailOtpCode({
      language: account.language,
      username: account.username,
      code,
      minutes: EMAIL_OTP_TTL_SECONDS / 60,
      setup: purpose === PURPOSE.enrol,
    });
    try {
      await deliver(deps, account.email, email, event);
    } catch (err) {
      await codes.discard(id); // an unsent code must not stay valid
      throw err;
    }
    await deps.audit.record(event);
  }

  /** Checks a typed code; a failed outcome (counted by the engine and the throttles) or undefined when it matched. */
  async function redeem(ctx: MfaContext, purpose: string, typed: string): Promise<{ kind: 'failed'; message: FlowMessage } | undefined> {
    // The codes' throttle checks first (10 wrong codes a day per account and purpose) and counts a wrong one.
    const redeemed = await attempt(() => codes.redeem(ctx.account.id, purpose, typed.slice(0, 20), ctx.request));
    if (redeemed.ok) return undefined;
    // A wait is not a wrong code: thrown on, the flow-error path re-renders the step saying when to try again.
    if (redeemed.error instanceof ThrottledError) throw redeemed.error;
    return { kind: 'failed', message: { ...redeemed.error.toMessage('error'), field: 'code' } };
  }

  /** "Send a new code", for either phase: the flow's own cap, then the throttle's. */
  function resend(scratch: typeof challengeScratch, purpose: string) {
    return async (ctx: MfaContext): Promise<ActionResult> => {
      if (!ctx.account.emailVerified) return { kind: 'message', message: EMAIL_OTP_MESSAGES.unverified };
      const state = scratch.read(ctx.flow) ?? { sent: false, resends: 0 };
      if (state.resends >= EMAIL_OTP_RESENDS_PER_FLOW) return { kind: 'message', message: EMAIL_OTP_MESSAGES.resendLimit };
      scratch.write(ctx.flow, { sent: false, resends: state.resends + 1 });
      await send(ctx, purpose); // a refusal (throttled, mail down) is the step's message
      scratch.write(ctx.flow, { sent: true, resends: state.resends + 1 });
      return { kind: 'message', message: EMAIL_OTP_MESSAGES.sent(maskEmail(ctx.account.email)) };
    };
  }

  /**
   * Sends the first code of a phase. A refusal (throttled, mail down) is part of what was prepared:
   * kept in the scratch state and returned for the page, so a reload shows it instead of sending again
   * ("Send a new code" is the retry).
   */
  async function sendFirst(ctx: MfaContext, scratch: typeof challengeScratch, purpose: string): Promise<FlowMessage | undefined> {
    scratch.write(ctx.flow, { sent: false, resends: 0 });
    const sent = await attempt(() => send(ctx, purpose));
    if (sent.ok) {
      scratch.write(ctx.flow, { sent: true, resends: 0 });
      return undefined;
    }
    const problem = sent.error.toMessage('error');
    scratch.write(ctx.flow, { sent: false, resends: 0, problem: { code: problem.code, ...(problem.vars ? { vars: problem.vars } : {}) } });
    return problem;
  }

  const sentView = (ctx: MfaContext, state: z.infer<typeof sentSchema>) => ({
    emailOtpTo: maskEmail(ctx.account.email),
    emailOtpSent: state.sent,
    emailOtpMinutes: EMAIL_OTP_TTL_SECONDS / 60,
    emailOtpResendsLeft: Math.max(0, EMAIL_OTP_RESENDS_PER_FLOW - state.resends),
  });

  return {
    kind: EMAIL_OTP_KIND,
    label: 'Email code',
    amr: ['otp'],
    describe: () => 'email code',
    inbox: true,
    privateSchema: sentSchema,

    async available(ctx) {
      // Only ever to a verified address: an unverified one may not be the person's.
      return ctx.account.emailVerified && ctx.methods.some((m) => m.kind === EMAIL_OTP_KIND);
    },

    async prepareChallenge(ctx) {
      const problem = await sendFirst(ctx, challengeScratch, PURPOSE.challenge);
      if (problem) ctx.flow.messages = [problem];
    },

    async challengeView(ctx) {
      const state = challengeScratch.read(ctx.flow);
      return state ? sentView(ctx, state) : undefined;
    },

    async verify(ctx, input) {
      const failed = await redeem(ctx, PURPOSE.challenge, input.code ?? '');
      if (failed) return failed;
      challengeScratch.clear(ctx.flow);
      const method = ctx.methods.find((m) => m.kind === EMAIL_OTP_KIND);
      if (method) await deps.mfa.markUsed(method.id);
      return { kind: 'verified', amr: ['mfa', 'otp'] };
    },

    enrolment: {
      async prepare(ctx) {
        if (ctx.account.emailVerified) await sendFirst(ctx, enrolScratch, PURPOSE.enrol); // never to an address that may not be theirs
      },
      async view(ctx) {
        if (!ctx.account.emailVerified) return { emailOtpUnverified: true, emailOtpTo: maskEmail(ctx.account.email) };
        const state = enrolScratch.read(ctx.flow);
        if (!state) return undefined;
        return { ...sentView(ctx, state), emailOtpProblem: state.problem, emailOtpAlone: !ctx.methods.some((m) => m.kind !== EMAIL_OTP_KIND) };
      },
      async complete(ctx, input) {
        if (!ctx.account.emailVerified) return { kind: 'failed', message: EMAIL_OTP_MESSAGES.unverified };
        // Never the only method: the inbox would be both the password reset and the second factor.
        if (!ctx.methods.some((m) => m.kind !== EMAIL_OTP_KIND)) return { kind: 'failed', message: { ...INBOX_ONLY_METHOD, level: 'error' } };
        const name = validMethodName(input.name || translatorFor().t('mfa.kind.email_otp'));
        const failed = await redeem(ctx, PURPOSE.enrol, input.code ?? '');
        if (failed) {
          // A spent or expired code can't be retried: the next page sends a fresh one.
          if (failed.message.code !== 'code.invalid') enrolScratch.clear(ctx.flow);
          return failed;
        }
        enrolScratch.clear(ctx.flow);
        const method = await deps.mfa.addMethod(ctx.account.id, EMAIL_OTP_KIND, name, { email: ctx.account.email });
        return { kind: 'enrolled', method };
      },
    },

    actions: {
      resend: { steps: ['mfa_challenge'], run: resend(challengeScratch, PURPOSE.challenge) },
    },
  };
}
