// The pages oidc-provider sends people to during a login. Each handler loads the interaction and
// its flow, runs one step, and either re-renders the step with a message or moves the flow on.
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AccountStore, AccountWithOrganization } from '../accounts/account.ts';
import type { AuditLog } from '../accounts/audit.ts';
import { MFA_KIND_AMR, type MfaStore } from '../accounts/mfa.ts';
import { MAX_MFA_FAILURES, SINGLE_FACTOR_PASSWORD_MIN_LENGTH } from '../accounts/security-constants.ts';
import { generateRecoveryCodes } from '../accounts/recovery-codes.ts';
import type { FactorMarksStore } from '../accounts/reauthentication.ts';
import { DomainError } from '../accounts/errors.ts';
import type { EmailVerification } from '../accounts/email-verification.ts';
import type { MfaManagement } from '../accounts/mfa-management.ts';
import { render, type ViewMessage } from '../views/render.ts';
import { ACR_MULTI_FACTOR, acrFor } from './assurance.ts';
import { ACCOUNT_CLIENT_ID } from './account-session.ts';
import { loadFlow, type Flow, type FlowMessage, type FlowStep } from './flow.ts';
import { stepAfterPassword, usesMfa } from './login-steps.ts';
import type { MethodRegistry } from './methods/registry.ts';
import type { MfaContext, RequestInfo } from './methods/method.ts';
import { ThrottledError, type ThrottlePolicy } from '../accounts/throttle.ts';


export type SignInLink = { id: string; text: string; href: string };

const SCOPE_TEXT: Record<string, string> = {
  openid: 'Sign you in',
  profile: 'See your name and username',
  email: 'See your email address',
  phone: 'See your phone number',
  org: 'See your organization',
  offline_access: 'Stay signed in when you are away',
};

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/** What an extension (federation) may use to add its own steps and routes to the login flow. */
export type InteractionKit = {
  router: Router;
  load(ctx: Context, expectedPrompt?: 'login' | 'consent' | 'any'): Promise<{ interaction: Interaction; flow: Flow }>;
  saveFlow(interaction: Interaction, flow: Flow): Promise<void>;
  renderStep(ctx: Context, interaction: Interaction, flow: Flow, status?: number): Promise<void>;
  showStep(ctx: Context, interaction: Interaction): void;
  proceed(ctx: Context, interaction: Interaction, flow: Flow): Promise<void>;
  finish(ctx: Context, result: Record<string, unknown>): Promise<void>;
  requestInfo(ctx: Context): RequestInfo;
  nowSeconds(): number;
  loadAccount(flow: Flow): Promise<AccountWithOrganization>;
  mfa: MfaStore;
  marks: FactorMarksStore;
};

/** An extension of the login flow (server/app.ts wires federation in); every hook is optional. */
export type InteractionExtension = {
  /** Registers extra routes under /interaction. */
  routes?(kit: InteractionKit): void;
  /** Renders a step this file does not know; false when it is not the extension's either. */
  renderStep?(ctx: Context, interaction: Interaction, flow: Flow, kit: InteractionKit): Promise<boolean>;
  /** Extra view model for the sign-in page, or null when the extension answered the request itself (a redirect). */
  signInPage?(ctx: Context, interaction: Interaction, flow: Flow, kit: InteractionKit): Promise<Record<string, unknown> | null>;
  /** Runs before a login completes (e.g. links the profile just proven); throws a DomainError to stop it. */
  beforeComplete?(ctx: Context, interaction: Interaction, flow: Flow): Promise<void>;
};

export function createInteractionRoutes(deps: {
  provider: Provider;
  methods: MethodRegistry;
  accounts: AccountStore;
  mfa: MfaStore;
  marks: FactorMarksStore;
  recoveryDigest: (code: string) => string;
  audit: AuditLog;
  signInLinks?: SignInLink[];
  /** Records (audit + email notice) a method registered during sign-in. */
  mfaChanges: Pick<MfaManagement, 'added'>;
  /** The "Verify your email" prompt after MFA (self-service); absent → no prompt. */
  emailVerification?: Pick<EmailVerification, 'needsVerification' | 'send' | 'confirm' | 'pending'>;
  /** Federation's steps and routes (server/app.ts); absent → password sign-in only. */
  extension?: InteractionExtension;
  /** Guessing limits per account across flows, per IP and per IP + username (accounts/throttle.ts). */
  throttle?: Pick<ThrottlePolicy['signIn'], 'check' | 'failed' | 'succeeded'>;
  clock?: () => number;
}) {
  const { provider, methods, audit, accounts, mfa } = deps;
  const router = new Router({ prefix: '/interaction' });
  const nowSeconds = () => Math.floor((deps.clock ?? Date.now)() / 1000);
  const requestInfo = (ctx: Context): RequestInfo => ({ ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined });

  // ---------- loading and saving ----------

  async function load(ctx: Context, expectedPrompt: 'login' | 'consent' | 'any' = 'login') {
    const interaction = await provider.interactionDetails(ctx.req, ctx.res);
    if (interaction.uid !== ctx.params.uid) throw new DomainError('session.interaction_mismatch', 'This page belongs to another sign-in. Start again.');
    if (expectedPrompt !== 'any' && interaction.prompt.name !== expectedPrompt) {
      throw new DomainError('session.step_unexpected', 'This step is not expected now. Go back to the application and start again.');
    }
    const flow = loadFlow(interaction.uid, interaction.result);
    if (flow.step === 'credentials' && interaction.session?.accountId && interaction.prompt.name === 'login') flow.reauth = true;
    return { interaction, flow };
  }

  async function saveFlow(interaction: Interaction, flow: Flow) {
    interaction.result = { ...(interaction.result ?? {}), flow };
    // Real time here, not the injectable clock: the interaction's own expiry is the provider's business.
    await interaction.save(Math.max(1, interaction.exp - Math.floor(Date.now() / 1000)));
  }

  async function finish(ctx: Context, result: Record<string, unknown>) {
    const redirectTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(redirectTo);
  }

  /** After a POST that moved the flow on: Post/Redirect/Get to the step's page. */
  function showStep(ctx: Context, interaction: Interaction) {
    ctx.status = 303;
    ctx.redirect(`/interaction/${interaction.uid}`);
  }

  async function loadAccount(flow: Flow): Promise<AccountWithOrganization> {
    const account = flow.accountId ? await accounts.findById(flow.accountId) : undefined;
    if (!account) throw new DomainError('session.account_gone', 'This account is no longer available. Start again.');
    return account;
  }

  async function mfaContext(ctx: Context, flow: Flow): Promise<MfaContext> {
    const account = await loadAccount(flow);
    return { flow, account, methods: await mfa.listMethods(account.id), request: requestInfo(ctx) };
  }

  // ---------- rendering ----------

  async function clientName(interaction: Interaction) {
    const client = await provider.Client.find(String(interaction.params.client_id));
    return (client?.clientName as string | undefined) ?? client?.clientId;
  }

  const actions = (uid: string) => ({
    abortAction: `/interaction/${uid}/abort`,
    switchAction: `/interaction/${uid}/mfa/switch`,
    chooseAction: `/interaction/${uid}/enrol/choose`,
  });

  async function renderStep(ctx: Context, interaction: Interaction, flow: Flow, status = 200) {
    ctx.status = status;
    ctx.type = 'html';
    const common = { messages: flow.messages satisfies ViewMessage[], ...actions(interaction.uid) };
    switch (flow.step) {
      case 'credentials': {
        const extra = deps.extension?.signInPage ? await deps.extension.signInPage(ctx, interaction, flow, kit) : {};
        if (extra === null) return; // the extension answered (e.g. an RP's domain hint went straight to the IdP)
        const messages = flow.reauth && flow.messages.length === 0
          ? [{ code: 'session.reauthenticate', text: 'For your security, sign in again to continue.', level: 'info' }]
          : flow.messages;
        ctx.body = render('sign-in', {
          ...common,
          messages,
          title: 'Sign in',
          clientName: await clientName(interaction),
          action: `/interaction/${interaction.uid}/credentials`,
          username: flow.form.username ?? '',
          // A link may name this sign-in (":uid"), e.g. "Use custom domain".
          links: (deps.signInLinks ?? []).map((l) => ({ ...l, href: l.href.replace(':uid', interaction.uid) })),
          ...extra,
        });
        return;
      }
      case 'mfa_challenge': {
        const c = { ...(await mfaContext(ctx, flow)), clientName: await clientName(interaction) };
        const strategy = methods.mfa(flow.mfaKind) ?? methods.secondFactors[0];
        const before = JSON.stringify(flow.private);
        const view = await strategy.prepareChallenge(c);
        if (JSON.stringify(flow.private) !== before) await saveFlow(interaction, flow); // a new challenge was stored
        const others = [];
        for (const s of methods.secondFactors) if (s.kind !== strategy.kind && (await s.available(c))) others.push({ kind: s.kind, label: s.label });
        ctx.body = render('mfa-challenge', {
          ...common,
          ...view,
          title: 'Verify it’s you',
          kind: strategy.kind,
          methodLabel: strategy.label,
          username: c.account.username,
          others,
          action: `/interaction/${interaction.uid}/mfa`,
        });
        return;
      }
      case 'mfa_enrol': {
        const strategy = methods.enrollable().find((s) => s.kind === flow.enrolKind);
        if (!strategy?.enrolment) {
          ctx.body = render('mfa-enrol-choose', {
            ...common,
            title: 'Set up multi-factor authentication',
            kinds: methods.enrollable().map((s) => ({ kind: s.kind, label: s.label })),
          });
          return;
        }
        const before = JSON.stringify(flow.private);
        const view = await strategy.enrolment.prepare(await mfaContext(ctx, flow));
        if (JSON.stringify(flow.private) !== before) await saveFlow(interaction, flow); // a new secret or challenge was stored
        ctx.body = render('mfa-enrol', {
          ...common,
          ...view,
          title: `Set up: ${strategy.label}`,
          kind: strategy.kind,
          name: flow.form.name,
          action: `/interaction/${interaction.uid}/enrol`,
        });
        return;
      }
      case 'recovery_codes': {
        const codes = (flow.private.recoveryCodes as string[] | undefined) ?? [];
        delete flow.private.recoveryCodes; // shown once
        await saveFlow(interaction, flow);
        ctx.body = render('recovery-codes', {
          ...common,
          title: 'Save your recovery codes',
          codes,
          action: `/interaction/${interaction.uid}/continue`,
        });
        return;
      }
      case 'verify_email': {
        const account = await loadAccount(flow);
        ctx.body = render('verify-email-prompt', {
          ...common,
          title: 'Verify your email',
          email: account.email,
          codeSent: Boolean(flow.private.emailCodeSent),
          sendAction: `/interaction/${interaction.uid}/verify-email/send`,
          confirmAction: `/interaction/${interaction.uid}/verify-email/confirm`,
          continueAction: `/interaction/${interaction.uid}/continue`,
        });
        return;
      }
      default:
        if (deps.extension?.renderStep && (await deps.extension.renderStep(ctx, interaction, flow, kit))) return;
        ctx.status = 303;
        ctx.redirect(`/interaction/${interaction.uid}`);
    }
  }

  // ---------- outcomes ----------

  /**
   * Before a factor's secret is checked: null when the throttle lets it through, else the refusal.
   * Known, unknown and locked usernames all pass here the same way (accounts/throttle.ts).
   */
  async function throttleRefusal(ctx: Context, username: string, account?: AccountWithOrganization): Promise<ThrottledError | null> {
    if (!deps.throttle) return null;
    try {
      await deps.throttle.check({ username, account, ...requestInfo(ctx) });
      return null;
    } catch (err) {
      if (err instanceof ThrottledError) return err;
      throw err;
    }
  }

  /** A throttled attempt: the same step with the wait, 429 + Retry-After; not a flow failure (the person may wait and retry). */
  function refuse(ctx: Context, interaction: Interaction, flow: Flow, err: ThrottledError) {
    flow.messages = [{ code: err.code, text: err.message, level: 'error' }];
    ctx.set('Retry-After', String(err.retryAfterSeconds));
    return renderStep(ctx, interaction, flow, 429);
  }

  /** A failed factor: count it, audit it, end the flow after too many, else re-render the step. */
  async function failStep(ctx: Context, interaction: Interaction, flow: Flow, method: string, message: FlowMessage, accountId = flow.accountId) {
    flow.failures += 1;
    await audit.record({
      action: flow.step === 'credentials' ? 'session.sign_in' : 'session.mfa',
      outcome: 'failure',
      // Audited in the account's organization when the username named one; unknown usernames in none.
      actor: accountId ?? null,
      target: accountId ?? null,
      details: { method, reason: message.code, ...(flow.step === 'credentials' ? { username: flow.form.username } : {}) },
      ...requestInfo(ctx),
    });
    if (flow.failures >= MAX_MFA_FAILURES) { // the flow ends; the person starts again
      return finish(ctx, { error: 'access_denied', error_description: 'too many failed sign-in attempts; start again' });
    }
    flow.messages = [message];
    await saveFlow(interaction, flow);
    return renderStep(ctx, interaction, flow, 200);
  }

  /** Every factor is done: finish `login` (known pitfall: only now, never after the password alone). */
  async function complete(ctx: Context, interaction: Interaction, flow: Flow) {
    await deps.extension?.beforeComplete?.(ctx, interaction, flow);
    const account = await loadAccount(flow);
    await deps.throttle?.succeeded({ username: account.username, ...requestInfo(ctx) }); // every factor passed: the run of failures ends
    await audit.record({
      actor: account.id,
      action: 'session.sign_in',
      outcome: 'success',
      target: account.id,
      organizationId: account.organization?.id ?? null,
      details: { amr: flow.amr, mfa_method: flow.step === 'complete' && flow.amr.includes('mfa') ? (flow.enrolKind ?? flow.mfaKind) : undefined, client_id: interaction.params.client_id, reauthentication: flow.reauth },
      ...requestInfo(ctx),
    });
    return finish(ctx, {
      login: {
        accountId: account.id,
        amr: flow.amr,
        acr: acrFor(flow.amr),
        remember: true,
        // Read back at resume (server/app.ts) and kept per session for re-authentication windows.
        factors: { passwordAt: flow.passwordAt ?? null, mfaAt: flow.mfaAt ?? null, identityId: flow.identityId ?? null, mfaMethod: flow.amr.includes('mfa') ? (flow.enrolKind ?? flow.mfaKind ?? null) : null },
      },
    });
  }

  async function proceed(ctx: Context, interaction: Interaction, flow: Flow) {
    // Post-login prompt: local accounts with an unverified email are asked once per sign-in (not on re-authentication).
    if (flow.step === 'complete' && !flow.reauth && deps.emailVerification && !flow.private.emailPrompted) {
      flow.private.emailPrompted = true;
      if (await deps.emailVerification.needsVerification(flow.accountId!)) flow.step = 'verify_email';
    }
    if (flow.step === 'complete') return complete(ctx, interaction, flow);
    await saveFlow(interaction, flow);
    return showStep(ctx, interaction);
  }

  const kit: InteractionKit = { router, load, saveFlow, renderStep, showStep, proceed, finish, requestInfo, nowSeconds, loadAccount, mfa, marks: deps.marks };

  // ---------- routes ----------

  router.get('/:uid', async (ctx) => {
    const { interaction, flow } = await load(ctx, 'any');
    if (interaction.prompt.name === 'login') {
      if (flow.step === 'complete') return complete(ctx, interaction, flow);
      return renderStep(ctx, interaction, flow);
    }
    // consent: only third-party clients reach it (first-party grants are created by the provider config).
    const scopes = String(interaction.params.scope ?? '').split(' ').filter(Boolean);
    ctx.type = 'html';
    ctx.body = render('consent', {
      title: 'Allow access',
      clientName: await clientName(interaction),
      scopes: scopes.map((id) => ({ id, text: SCOPE_TEXT[id] ?? id })),
      action: `/interaction/${interaction.uid}/consent`,
      abortAction: `/interaction/${interaction.uid}/abort`,
    });
  });

  // First factor: the methods registered for the credentials step, in order.
  router.post('/:uid/credentials', async (ctx) => {
    const { interaction, flow } = await load(ctx);
    if (flow.step !== 'credentials') return showStep(ctx, interaction);
    const input = formInput(ctx.request.body);
    flow.messages = [];
    flow.form = { username: (input.username ?? '').slice(0, 100) };
    for (const method of methods.forStep('credentials')) {
      const subject = method.throttleSubject?.(input);
      const refusal = subject ? await throttleRefusal(ctx, subject) : null;
      if (refusal) return refuse(ctx, interaction, flow, refusal);
      const outcome = await method.submit(flow, input, requestInfo(ctx));
      if (outcome.kind === 'not-mine') continue;
      if (outcome.kind === 'failed') {
        if (subject && outcome.guess) await deps.throttle?.failed({ username: subject, ...requestInfo(ctx) });
        return failStep(ctx, interaction, flow, method.id, outcome.message, outcome.accountId);
      }
      if (outcome.kind === 'redirect') {
        // The factor happens elsewhere (an upstream IdP): keep the flow's private state, then go there.
        await saveFlow(interaction, flow);
        ctx.status = 303;
        return ctx.redirect(outcome.url);
      }
      if (flow.reauth && interaction.session?.accountId !== outcome.accountId) flow.reauth = false; // a different person: a fresh login
      flow.accountId = outcome.accountId;
      flow.amr = [...new Set([...flow.amr, ...outcome.amr])];
      flow.passwordAt = nowSeconds();
      const c = await mfaContext(ctx, flow);
      // Only Gatehouse's own pages may count an earlier MFA (8-hour window); a relying party's
      // max_age or prompt=login always gets every factor again.
      const carryOver = flow.reauth && interaction.params.client_id === ACCOUNT_CLIENT_ID && interaction.session?.uid;
      const previous = carryOver ? await deps.marks.get(interaction.session!.uid!) : undefined;
      stepAfterPassword(flow, c.account, c.methods, previous, nowSeconds());
      if (!usesMfa(c.account) && (input.password ?? '').length < SINGLE_FACTOR_PASSWORD_MIN_LENGTH) {
        flow.step = 'credentials';
        return failStep(ctx, interaction, flow, method.id, {
          code: 'session.single_factor_password_too_short',
          text: `This service account signs in without MFA, so its password must be at least ${SINGLE_FACTOR_PASSWORD_MIN_LENGTH} characters. Ask an administrator to set a longer one.`,
          level: 'error',
        });
      }
      const requestedAcr = String(interaction.params.acr_values ?? '').split(' ');
      if ((flow.step as FlowStep) === 'complete' && requestedAcr.includes(ACR_MULTI_FACTOR) && acrFor(flow.amr) !== ACR_MULTI_FACTOR) {
        // An MFA-exempt service account can't satisfy a client that demands MFA: refuse rather than loop.
        return finish(ctx, { error: 'access_denied', error_description: 'this application requires multi-factor authentication' });
      }
      return proceed(ctx, interaction, flow);
    }
    flow.messages = [{ code: 'session.method_unavailable', text: 'This sign-in method is not available.', level: 'error' }];
    return renderStep(ctx, interaction, flow, 400);
  });

  // Second factor: verify the method being challenged.
  router.post('/:uid/mfa', async (ctx) => {
    const { interaction, flow } = await load(ctx);
    if (flow.step !== 'mfa_challenge') return showStep(ctx, interaction);
    const strategy = methods.mfa(flow.mfaKind);
    const c = await mfaContext(ctx, flow);
    if (!strategy || !(await strategy.available(c))) return showStep(ctx, interaction);
    flow.messages = [];
    // Every second factor counts on the account's one throttle, with its password (accounts/throttle.ts).
    const refusal = await throttleRefusal(ctx, c.account.username, c.account);
    if (refusal) return refuse(ctx, interaction, flow, refusal);
    const outcome = await strategy.verify(c, formInput(ctx.request.body));
    if (outcome.kind === 'failed') {
      await deps.throttle?.failed({ username: c.account.username, account: c.account, ...requestInfo(ctx) });
      return failStep(ctx, interaction, flow, strategy.kind, outcome.message);
    }
    if (outcome.kind === 'pending') {
      flow.messages = outcome.message ? [outcome.message] : [];
      await saveFlow(interaction, flow);
      return renderStep(ctx, interaction, flow);
    }
    flow.amr = [...new Set([...flow.amr, ...outcome.amr])];
    flow.mfaAt = nowSeconds();
    flow.step = 'complete';
    // The success is audited once, with the whole login (complete()): its amr and this method.
    return proceed(ctx, interaction, flow);
  });

  // "Try another method".
  router.post('/:uid/mfa/switch', async (ctx) => {
    const { interaction, flow } = await load(ctx);
    if (flow.step === 'mfa_challenge') {
      const strategy = methods.mfa(formInput(ctx.request.body).kind);
      if (strategy && (await strategy.available(await mfaContext(ctx, flow)))) {
        flow.mfaKind = strategy.kind;
        flow.messages = [];
        await saveFlow(interaction, flow);
      }
    }
    return showStep(ctx, interaction);
  });

  // Enrolment: choose a kind (empty → back to the chooser), then complete its steps.
  router.post('/:uid/enrol/choose', async (ctx) => {
    const { interaction, flow } = await load(ctx);
    if (flow.step === 'mfa_enrol') {
      const kind = formInput(ctx.request.body).kind;
      flow.enrolKind = methods.enrollable().some((s) => s.kind === kind) ? kind : undefined;
      flow.messages = [];
      await saveFlow(interaction, flow);
    }
    return showStep(ctx, interaction);
  });

  router.post('/:uid/enrol', async (ctx) => {
    const { interaction, flow } = await load(ctx);
    const strategy = methods.enrollable().find((s) => s.kind === flow.enrolKind);
    if (flow.step !== 'mfa_enrol' || !strategy?.enrolment) return showStep(ctx, interaction);
    const input = formInput(ctx.request.body);
    flow.messages = [];
    flow.form = { ...flow.form, name: (input.name ?? '').slice(0, 60) };
    const c = await mfaContext(ctx, flow);
    let outcome;
    try {
      outcome = await strategy.enrolment.complete(c, input);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      outcome = { kind: 'failed' as const, message: { code: err.code, text: err.message, level: 'error' as const } };
    }
    if (outcome.kind === 'failed') return failStep(ctx, interaction, flow, strategy.kind, outcome.message);
    // Audited and emailed like any change to the person's methods.
    await deps.mfaChanges.added(outcome.method, { actor: c.account.id, ...requestInfo(ctx) });
    // Registering a method proves possession of it, as a challenge would.
    flow.amr = [...new Set([...flow.amr, 'mfa', ...MFA_KIND_AMR[outcome.method.kind]])];
    flow.mfaAt = nowSeconds();
    if (c.methods.length === 0) {
      // First method: issue recovery codes now and show them once.
      const codes = generateRecoveryCodes();
      await mfa.replaceRecoveryCodes(c.account.id, codes.map(deps.recoveryDigest));
      flow.private.recoveryCodes = codes;
      flow.step = 'recovery_codes';
    } else {
      flow.step = 'complete';
    }
    return proceed(ctx, interaction, flow);
  });

  // "Done" on the recovery codes page (and later: "continue for now" on post-login prompts).
  router.post('/:uid/continue', async (ctx) => {
    const { interaction, flow } = await load(ctx);
    if (flow.step === 'recovery_codes' || flow.step === 'verify_email') flow.step = 'complete';
    return proceed(ctx, interaction, flow);
  });

  // "Verify Email": send a code to the account's address, then "Confirm" it.
  router.post('/:uid/verify-email/send', async (ctx) => {
    const { interaction, flow } = await load(ctx);
    if (flow.step !== 'verify_email' || !deps.emailVerification) return showStep(ctx, interaction);
    flow.messages = [];
    try {
      const { email } = await deps.emailVerification.send(flow.accountId!, requestInfo(ctx));
      flow.private.emailCodeSent = true;
      flow.messages = [{ code: 'email.code_sent', text: `We sent a 6-digit code to ${email}.`, level: 'info' }];
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      flow.messages = [{ code: err.code, text: err.message, level: 'error' }];
    }
    await saveFlow(interaction, flow);
    return renderStep(ctx, interaction, flow);
  });

  router.post('/:uid/verify-email/confirm', async (ctx) => {
    const { interaction, flow } = await load(ctx);
    if (flow.step !== 'verify_email' || !deps.emailVerification) return showStep(ctx, interaction);
    flow.messages = [];
    try {
      await deps.emailVerification.confirm(flow.accountId!, (formInput(ctx.request.body).code ?? '').trim(), requestInfo(ctx));
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      flow.messages = [{ code: err.code, text: err.message, level: 'error' }];
      await saveFlow(interaction, flow);
      return renderStep(ctx, interaction, flow);
    }
    flow.step = 'complete';
    return proceed(ctx, interaction, flow);
  });

  router.post('/:uid/consent', async (ctx) => {
    const { interaction } = await load(ctx, 'consent');
    const { accountId } = interaction.session ?? {};
    const grant = interaction.grantId
      ? await provider.Grant.find(interaction.grantId)
      : new provider.Grant({ accountId, clientId: String(interaction.params.client_id) });
    if (!grant) throw new DomainError('session.grant_gone', 'The grant for this request no longer exists. Start again.');
    const details = interaction.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
    if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await audit.record({
      actor: accountId ?? null,
      action: 'consent.grant',
      outcome: 'success',
      target: String(interaction.params.client_id),
      details: { scope: details.missingOIDCScope ?? [] },
      ...requestInfo(ctx),
    });
    return finish(ctx, { consent: { grantId } });
  });

  router.post('/:uid/abort', async (ctx) => {
    await load(ctx, 'any');
    return finish(ctx, { error: 'access_denied', error_description: 'the user cancelled the request' });
  });

  deps.extension?.routes?.(kit);
  return router;
}

/** Keeps only string fields of a parsed form; unknown fields are ignored by the methods. */
function formInput(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (body && typeof body === 'object') {
    for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}
