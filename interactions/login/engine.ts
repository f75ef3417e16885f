// The login engine: the only writer of `flow.step`. Steps (steps/*.ts) say what happened (an outcome);
// the table below says where the flow goes next. The engine is also the one home of the rules every
// step shares: the failure limit, the ACR refusal, the "different person" reset, adding a factor to
// amr, verifying a factor (the throttle seam) and completing the login.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AccountStore, AccountWithOrganization } from '../../accounts/account.ts';
import type { AuditAction, AuditLog } from '../../accounts/audit.ts';
import { DomainError } from '../../accounts/errors.ts';
import type { EmailVerification } from '../../accounts/email-verification.ts';
import type { MfaStore } from '../../accounts/mfa.ts';
import { ACR_MULTI_FACTOR, acrFor, secondFactorNeed, singleFactorPasswordTooShort, SINGLE_FACTOR_PASSWORD_TOO_SHORT } from '../../accounts/mfa-policy.ts';
import type { FactorMarksStore } from '../../accounts/reauthentication.ts';
import { MAX_FLOW_FAILURES } from '../../accounts/security-constants.ts';
import { accountOfRequest, accountReadInRequest } from '../../accounts/request-accounts.ts';
import type { ThrottlePolicy } from '../../accounts/throttle.ts';
import { ACCOUNT_CLIENT_ID } from '../account-session.ts';
import type { MfaContext, RequestInfo } from '../methods/method.ts';
import type { MethodRegistry } from '../methods/registry.ts';
import { FlowEnded, FlowError } from './flow-error.ts';
import { loadFlow, type Flow, type FlowMessage, type FlowStep } from './flow.ts';
import type { LoginStep } from './step.ts';
import { applyUiLocales } from '../../views/language.ts';
import { interactionOfRequest, interactionReadInRequest, type Interaction } from '../request-interaction.ts';

export type { Interaction };
/** A request's interaction and its parsed flow, as the pipeline's first middleware loaded them. */
export type LoadedFlow = { interaction: Interaction; flow: Flow };

/** What happened in a step. */
export type StepOutcome =
  | 'signed_in' // the first factor is all this login needs (exempt account, SSO, MFA still in its window)
  | 'needs_mfa' // challenge a registered method
  | 'needs_enrolment' // no method yet: register one before getting in
  | 'mfa_verified'
  | 'enrolled' // another method registered
  | 'enrolled_first' // the first method: its recovery codes come next
  | 'continue' // "Done" / "Continue for now"
  | 'email_verified'
  | 'email_unverified' // the post-login prompt for an unverified local address
  | 'choose_link' // a first SSO sign-in with profiles that could be linked
  | 'prove_by_password' // linking: the chosen profile's own password (then its MFA)
  | 'start_over'; // back to the sign-in page with a message

const AFTER_FIRST_FACTOR = { signed_in: 'complete', needs_mfa: 'mfa_challenge', needs_enrolment: 'mfa_enrol' } as const;

/** The transition table: (step, outcome) → next step. Anything not listed is a bug, not a user mistake. */
export const TRANSITIONS: Record<FlowStep, Partial<Record<StepOutcome, FlowStep>>> = {
  credentials: { ...AFTER_FIRST_FACTOR, choose_link: 'link_account', start_over: 'credentials' },
  mfa_challenge: { mfa_verified: 'complete', start_over: 'credentials' },
  mfa_enrol: { enrolled: 'complete', enrolled_first: 'recovery_codes', start_over: 'credentials' },
  recovery_codes: { continue: 'complete', start_over: 'credentials' },
  verify_email: { email_verified: 'complete', continue: 'complete', start_over: 'credentials' },
  link_account: { signed_in: 'complete', prove_by_password: 'link_password', start_over: 'credentials' },
  link_password: { ...AFTER_FIRST_FACTOR, start_over: 'credentials' },
  complete: { email_unverified: 'verify_email' },
};

export function nextStep(step: FlowStep, outcome: StepOutcome): FlowStep {
  const to = TRANSITIONS[step][outcome];
  if (!to) throw new Error(`login flow: no transition from ${step} on ${outcome}`);
  return to;
}

/** Moves the flow on; a new step starts without the previous step's messages. */
export function advance(flow: Flow, outcome: StepOutcome): void {
  flow.step = nextStep(flow.step, outcome);
  flow.messages = [];
}

/** The amr merge, written once: RFC 8176 values in the order they were proven, each once. */
export function addFactor(flow: Flow, amr: readonly string[], at: { firstFactor?: number; mfa?: number } = {}): void {
  flow.amr = [...new Set([...flow.amr, ...amr])];
  if (at.firstFactor !== undefined) flow.passwordAt = at.firstFactor;
  if (at.mfa !== undefined) flow.mfaAt = at.mfa;
}

/** The one failure limit: wrong passwords, codes and upstream failures all count toward it. */
export function failureLimitReached(flow: Flow): boolean {
  return flow.failures >= MAX_FLOW_FAILURES;
}

/** A client that asked for multi-factor `acr` gets it or a refusal, never a single-factor login. */
export function acrRefused(acrValues: unknown, amr: string[]): boolean {
  return String(acrValues ?? '').split(' ').includes(ACR_MULTI_FACTOR) && acrFor(amr) !== ACR_MULTI_FACTOR;
}

/** Re-authenticating as someone else is not a re-authentication: it is a fresh login. */
export function switchPerson(flow: Flow, sessionAccountId: string | undefined, accountId: string): void {
  if (flow.reauth && sessionAccountId !== accountId) flow.reauth = false;
}

/** The throttle seam (accounts/throttle.ts): verifyFactor calls it for every factor, in one place. */
export type FactorThrottle = Pick<ThrottlePolicy['signIn'], 'check' | 'failed' | 'succeeded'>;

/** Whose guesses a factor attempt is: the username (known or not), and the account once it is known. */
export type FactorSubject = { kind: string; username?: string; account?: AccountWithOrganization };

type Failure = {
  /** The method that failed (audit `details.method`). */
  method: string;
  message: FlowMessage;
  /** Audit action and details; by default `session.sign_in` / `session.mfa` with the method and reason. */
  action?: AuditAction;
  details?: Record<string, unknown>;
  /** Whose failure it was, when the flow doesn't know yet (a wrong password of a known username): audited in its organization. */
  actor?: string | null;
  target?: string | null;
  /** The organization whose audit log gets the event when the flow has no account yet (an upstream IdP's). */
  organizationId?: string;
  /** Send the person back to the sign-in page (upstream failures) instead of re-rendering this step. */
  startOver?: boolean;
  /** Some refusals re-render without counting (an expired link), most count. */
  counts?: boolean;
};

export type LoginEngineDeps = {
  provider: Provider;
  methods: MethodRegistry;
  accounts: AccountStore;
  mfa: MfaStore;
  marks: FactorMarksStore;
  audit: AuditLog;
  /** The "Verify your email" prompt after MFA (self-service); absent → no prompt. */
  emailVerification?: Pick<EmailVerification, 'needsVerification' | 'send' | 'confirm' | 'pending'>;
  /** Per-factor throttles (accounts/ policy); absent → the flow's own failure limit only. */
  throttle?: FactorThrottle;
  steps: LoginStep[];
  clock?: () => number;
};

export function createLoginEngine(deps: LoginEngineDeps) {
  const { provider, methods, audit } = deps;
  const nowSeconds = () => Math.floor((deps.clock ?? Date.now)() / 1000);
  const requestInfo = (ctx: Context): RequestInfo => ({ ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined });

  async function load(ctx: Context, expectedPrompt: 'login' | 'consent' | 'any' = 'login'): Promise<LoadedFlow> {
    const interaction = await interactionOfRequest(provider, ctx);
    // The app's ui_locales (kept in the interaction) decide this page's language.
    applyUiLocales(interaction.params.ui_locales, interaction.uid);
    if (interaction.uid !== ctx.params.uid) throw new DomainError('session.interaction_mismatch');
    if (expectedPrompt !== 'any' && interaction.prompt.name !== expectedPrompt) {
      throw new DomainError('session.step_unexpected');
    }
    const flow = loadFlow(interaction.uid, interaction.result);
    if (flow.step === 'credentials' && interaction.session?.accountId && interaction.prompt.name === 'login') flow.reauth = true;
    return { interaction, flow };
  }

  async function save({ interaction, flow }: LoadedFlow) {
    interaction.result = { ...(interaction.result ?? {}), flow };
    // Real time here, not the injectable clock: the interaction's own expiry is the provider's business.
    await interaction.save(Math.max(1, interaction.exp - Math.floor(Date.now() / 1000)));
  }

  async function finish(ctx: Context, result: Record<string, unknown>) {
    const loaded = await interactionReadInRequest(ctx)?.catch(() => undefined);
    let redirectTo: string;
    if (loaded && !loaded.session?.uid) {
      // What provider.interactionResult does (result replaced, saved for the interaction's remaining
      // lifetime, back to returnTo), on the interaction this request loaded instead of finding it
      // again. One started in a session goes through the provider: it checks that session again.
      loaded.result = result;
      await loaded.save(loaded.exp - Math.floor(Date.now() / 1000));
      redirectTo = loaded.returnTo;
    } else {
      redirectTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    }
    ctx.status = 303;
    ctx.redirect(redirectTo);
  }

  /** After a POST that moved the flow on: Post/Redirect/Get to the step's page. */
  function showStep(ctx: Context, { interaction }: LoadedFlow) {
    ctx.status = 303;
    ctx.redirect(`/interaction/${interaction.uid}`);
  }

  /** The flow's account, read once per request (its context, then completing: accounts/request-accounts.ts). */
  async function loadAccount(ctx: Context, flow: Flow): Promise<AccountWithOrganization> {
    const account = flow.accountId ? await accountOfRequest(ctx.state, deps.accounts, flow.accountId) : undefined;
    if (!account) throw new DomainError('session.account_gone');
    return account;
  }

  async function clientName(interaction: Interaction) {
    const client = await provider.Client.find(String(interaction.params.client_id));
    return (client?.clientName as string | undefined) ?? client?.clientId;
  }

  async function mfaContext(ctx: Context, { interaction, flow }: LoadedFlow, options: { clientName?: boolean } = {}): Promise<MfaContext> {
    const account = await loadAccount(ctx, flow);
    const { methods, recoveryCodes } = await deps.mfa.listMethodsAndRecoveryCodes(account.id);
    return {
      flow,
      account,
      methods,
      recoveryCodes,
      request: requestInfo(ctx),
      ...(options.clientName ? { clientName: await clientName(interaction) } : {}),
    };
  }

  /** Renders the flow's current step (consent when the provider asks for it). */
  async function render(ctx: Context, s: LoadedFlow, status = 200) {
    const name = s.interaction.prompt.name === 'consent' ? 'consent' : s.flow.step;
    if (name === 'complete') return complete(ctx, s);
    const step = deps.steps.find((st) => st.step === name && st.render);
    if (!step?.render) return showStep(ctx, s);
    ctx.status = status;
    ctx.type = 'html';
    return step.render(ctx, s, engine);
  }

  /**
   * A failed factor or a refusal: count it (most do), audit it, end the flow at the limit, else
   * re-render (the flow-error handler) with the message. Never returns.
   */
  async function fail(ctx: Context, s: LoadedFlow, f: Failure): Promise<never> {
    const { flow } = s;
    if (f.counts !== false) {
      flow.failures += 1;
      const onCredentials = flow.step === 'credentials';
      await audit.record({
        action: f.action ?? (onCredentials ? 'session.sign_in' : 'session.mfa'),
        outcome: 'failure',
        actor: f.actor !== undefined ? f.actor : (flow.accountId ?? null),
        target: f.target !== undefined ? f.target : (f.actor ?? flow.accountId ?? null),
        details: f.details ?? { method: f.method, reason: f.message.code, ...(onCredentials ? { username: flow.form.username } : {}) },
        ...(f.organizationId ? { organizationId: f.organizationId } : {}),
        ...requestInfo(ctx),
      });
      if (failureLimitReached(flow)) {
        // The flow ends; the person starts again from the application.
        await finish(ctx, { error: 'access_denied', error_description: 'too many failed sign-in attempts; start again' });
        throw new FlowEnded();
      }
    }
    if (f.startOver) {
      delete flow.private.link;
      advance(flow, 'start_over');
    }
    throw new FlowError(f.message, 200);
  }

  /**
   * Every factor is verified here, so the throttle policy is called from one place per factor:
   * check before the secret is looked at (a refusal re-renders with 429 and Retry-After, and is not
   * a flow failure), count a wrong guess after. A failure then goes through fail(). A subject
   * without a username (an IdP button, an enrolment) is not throttled.
   */
  async function verifyFactor<O extends { kind: string }>(
    ctx: Context,
    s: LoadedFlow,
    subject: FactorSubject,
    attempt: () => Promise<O>,
    failure: Omit<Failure, 'message' | 'method'> = {},
  ): Promise<Exclude<O, { kind: 'failed' }>> {
    const request = requestInfo(ctx);
    const throttled = deps.throttle && subject.username ? { username: subject.username, account: subject.account, ...request } : undefined;
    if (throttled) await deps.throttle!.check(throttled);
    const outcome = await attempt();
    if (outcome.kind === 'failed') {
      const failed = outcome as unknown as { message: FlowMessage; guess?: boolean; accountId?: string };
      // A first factor says whether a secret was checked (`guess`); every failed second factor was one.
      const guess = subject.account ? failed.guess !== false : failed.guess === true;
      if (throttled && guess) await deps.throttle!.failed(throttled);
      return fail(ctx, s, { method: subject.kind, message: failed.message, ...(failed.accountId ? { actor: failed.accountId, target: failed.accountId } : {}), ...failure });
    }
    return outcome as Exclude<O, { kind: 'failed' }>;
  }

  /**
   * The first factor identified the account (a password, an IdP, a linked profile's password): record
   * it, then decide what else this login needs and move on.
   */
  async function firstFactorDone(
    ctx: Context,
    s: LoadedFlow,
    proven: { accountId: string; amr: string[]; identityId?: string; password?: string; sso?: boolean; method?: string },
  ) {
    const { interaction, flow } = s;
    const now = nowSeconds();
    if (proven.sso) {
      switchPerson(flow, interaction.session?.accountId, proven.accountId);
      flow.accountId = proven.accountId;
      if (proven.identityId) flow.identityId = proven.identityId;
      // The IdP proved the first factor now (re-authentication windows count from it); MFA only if it says so.
      addFactor(flow, proven.amr, { firstFactor: now, mfa: proven.amr.includes('mfa') ? now : undefined });
      flow.emailPrompted = true; // SSO users never get the email prompt (reference: SSO users and email)
      advance(flow, 'signed_in');
    } else {
      const account = await accountOfRequest(ctx.state, deps.accounts, proven.accountId);
      if (!account) throw new DomainError('session.account_gone');
      // Only Gatehouse's own pages may count an earlier MFA (8-hour window); a relying party's
      // max_age or prompt=login always gets every factor again.
      const reauth = flow.reauth && interaction.session?.accountId === proven.accountId;
      const carryOver = reauth && interaction.params.client_id === ACCOUNT_CLIENT_ID && interaction.session?.uid;
      const previous = carryOver ? await deps.marks.get(interaction.session!.uid!) : undefined;
      const registered = (await deps.mfa.listMethods(account.id)).filter((m) => methods.mfa(m.kind));
      const need = secondFactorNeed({ account, methodCount: registered.length, previous, reauth, now });
      if (need === 'none' && proven.password !== undefined && singleFactorPasswordTooShort(true, proven.password)) {
        return fail(ctx, s, { method: proven.method ?? 'password', message: { ...SINGLE_FACTOR_PASSWORD_TOO_SHORT, level: 'error' } });
      }
      switchPerson(flow, interaction.session?.accountId, proven.accountId);
      flow.accountId = proven.accountId;
      addFactor(flow, proven.amr, { firstFactor: now });
      if (need === 'mfa_window') flow.mfaAt = previous!.mfaAt!; // the earlier MFA still counts for the 8-hour window
      if (need === 'challenge') flow.mfaKind = registered[0].kind;
      if (need === 'enrol') flow.enrolKind = undefined;
      advance(flow, need === 'challenge' ? 'needs_mfa' : need === 'enrol' ? 'needs_enrolment' : 'signed_in');
    }
    if (flow.step === 'complete' && acrRefused(interaction.params.acr_values, flow.amr)) {
      // An MFA-exempt account (or an IdP that did no MFA) can't satisfy a client that demands MFA: refuse rather than loop.
      return finish(ctx, { error: 'access_denied', error_description: 'this application requires multi-factor authentication' });
    }
    return proceed(ctx, s);
  }

  /** Moves on from a finished step: the post-login prompt, completion, or the next step's page. */
  async function proceed(ctx: Context, s: LoadedFlow) {
    const { flow } = s;
    // Post-login prompt: local accounts with an unverified email are asked once per sign-in (not on re-authentication).
    if (flow.step === 'complete' && !flow.reauth && deps.emailVerification && !flow.emailPrompted) {
      flow.emailPrompted = true;
      // The account this request already read (its MFA context) says verified: no second read for the prompt.
      const verified = (await accountReadInRequest(ctx.state, flow.accountId!))?.emailVerified === true;
      if (!verified && (await deps.emailVerification.needsVerification(flow.accountId!))) advance(flow, 'email_unverified');
    }
    if (flow.step === 'complete') return complete(ctx, s);
    await save(s);
    return showStep(ctx, s);
  }

  /** Every factor is done: finish `login` (known pitfall: only now, never after the password alone). */
  async function complete(ctx: Context, s: LoadedFlow) {
    const { interaction, flow } = s;
    for (const step of deps.steps) await step.beforeComplete?.(ctx, s, engine);
    const account = await loadAccount(ctx, flow);
    await deps.throttle?.succeeded({ username: account.username, ...requestInfo(ctx) }); // every factor passed: the run of failures ends
    const mfaMethod = flow.amr.includes('mfa') ? (flow.enrolKind ?? flow.mfaKind) : undefined;
    await audit.record({
      actor: account.id,
      action: 'session.sign_in',
      outcome: 'success',
      target: account.id,
      organizationId: account.organization?.id ?? null,
      details: { amr: flow.amr, mfa_method: mfaMethod, client_id: interaction.params.client_id, reauthentication: flow.reauth },
      ...requestInfo(ctx),
    });
    return finish(ctx, {
      login: {
        accountId: account.id,
        amr: flow.amr,
        acr: acrFor(flow.amr),
        remember: true,
        // Read back at resume (server/app.ts) and kept per session for re-authentication windows.
        factors: { passwordAt: flow.passwordAt ?? null, mfaAt: flow.mfaAt ?? null, identityId: flow.identityId ?? null, mfaMethod: mfaMethod ?? null },
      },
    });
  }

  const engine = {
    provider,
    audit,
    methods,
    advance,
    addFactor,
    steps: deps.steps,
    emailVerification: deps.emailVerification,
    load,
    save,
    finish,
    showStep,
    render,
    loadAccount,
    mfaContext,
    clientName,
    requestInfo,
    nowSeconds,
    fail,
    verifyFactor,
    firstFactorDone,
    proceed,
    complete,
  };
  return engine;
}

export type LoginEngine = ReturnType<typeof createLoginEngine>;
