// The login flow's federation pages, as an extension of interaction-routes.ts:
//   GET  /interaction/:uid/domain             "Use custom domain": Enter your organization's domain name
//   POST /interaction/:uid/domain             "Continue" → the organization's IdP (a chooser when it has several)
//   GET  /federation/callback                 the one redirect URI registered at IdPs → the flow named in state
//   GET  /interaction/:uid/upstream/callback  every check of the upstream leg, then signed in / link / message
//   POST /interaction/:uid/link               "Link Accounts" (or create a separate profile)
//   POST /interaction/:uid/link/password      prove the chosen local profile: its password, then its MFA
// SSO logins skip Gatehouse MFA and the email prompt: the IdP is the first factor and handles MFA.
import Router from '@koa/router';
import type { Context } from 'koa';
import { DomainError } from '../accounts/errors.ts';
import type { AccountStore } from '../accounts/account.ts';
import type { AuditLog } from '../accounts/audit.ts';
import type { PasswordHasher } from '../accounts/password-hasher.ts';
import { MAX_MFA_FAILURES } from '../accounts/security-constants.ts';
import { isHostname, normalizeDomain } from '../federation/domains.ts';
import type { FederatedSignIn, IdpChoice } from '../federation/federated-sign-in.ts';
import type { FederationStore } from '../federation/federation-store.ts';
import type { Linking } from '../federation/linking.ts';
import { render } from '../views/render.ts';
import { ACR_MULTI_FACTOR, acrFor } from './assurance.ts';
import type { Flow, FlowMessage } from './flow.ts';
import type { InteractionExtension, InteractionKit } from './interaction-routes.ts';
import { stepAfterPassword } from './login-steps.ts';
import type { UpstreamMethod } from './methods/upstream-method.ts';

/** interaction uids are oidc-provider nanoids; the state's random part is openid-client's 43 characters. */
const STATE = /^([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{16,128})$/;
/** The profile's "Link a profile" round trips use this state prefix (interactions/linked-profiles-routes.ts). */
export const PROFILE_STATE_PREFIX = 'profile';

type Interaction = Parameters<InteractionKit['saveFlow']>[0];

const formInput = (body: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (body && typeof body === 'object') for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out[k] = v.slice(0, 300);
  return out;
};

export function createFederationInteractions(deps: {
  upstream: UpstreamMethod;
  signIn: FederatedSignIn;
  linking: Linking;
  store: FederationStore;
  accounts: AccountStore;
  hasher: PasswordHasher;
  audit: AuditLog;
}): { extension: InteractionExtension; callbackRouter: Router } {
  const { upstream, signIn } = deps;

  // ---------- pages ----------

  function domainPage(ctx: Context, interaction: Interaction, model: { domain?: string; messages?: FlowMessage[]; choices?: IdpChoice[] }, status = 200) {
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = render(model.choices ? 'idp-choose' : 'custom-domain', {
      title: model.choices ? 'Choose your identity provider' : 'Use custom domain',
      messages: model.messages ?? [],
      domain: model.domain ?? '',
      choices: model.choices ?? [],
      action: `/interaction/${interaction.uid}/domain`,
      idpAction: `/interaction/${interaction.uid}/credentials`,
      backHref: `/interaction/${interaction.uid}`,
      abortAction: `/interaction/${interaction.uid}/abort`,
    });
  }

  /** The flow's sign-in page with a message: the way back after any upstream problem. */
  async function backToSignIn(ctx: Context, kit: InteractionKit, interaction: Interaction, flow: Flow, message: FlowMessage, countsAsFailure = true) {
    flow.step = 'credentials';
    flow.messages = [message];
    delete flow.private.link;
    if (countsAsFailure) flow.failures += 1;
    if (flow.failures >= MAX_MFA_FAILURES) return kit.finish(ctx, { error: 'access_denied', error_description: 'too many failed sign-in attempts; start again' });
    await kit.saveFlow(interaction, flow);
    return kit.renderStep(ctx, interaction, flow, 200);
  }

  /** A federated first factor is all a login needs: no Gatehouse MFA, no email prompt. */
  async function signedIn(ctx: Context, kit: InteractionKit, interaction: Interaction, flow: Flow, outcome: { accountId: string; identityId?: string; amr: string[] }) {
    if (flow.reauth && interaction.session?.accountId !== outcome.accountId) flow.reauth = false; // a different person: a fresh login
    const now = kit.nowSeconds();
    flow.accountId = outcome.accountId;
    if (outcome.identityId) flow.identityId = outcome.identityId;
    flow.amr = [...new Set([...flow.amr, ...outcome.amr])];
    // The IdP proved the first factor now (the re-authentication windows count from it); MFA only if it says so.
    flow.passwordAt = now;
    if (outcome.amr.includes('mfa')) flow.mfaAt = now;
    flow.private.emailPrompted = true; // SSO users never get the email prompt (reference: SSO users and email)
    flow.step = 'complete';
    const requestedAcr = String(interaction.params.acr_values ?? '').split(' ');
    if (requestedAcr.includes(ACR_MULTI_FACTOR) && acrFor(flow.amr) !== ACR_MULTI_FACTOR) {
      return kit.finish(ctx, { error: 'access_denied', error_description: 'this application requires multi-factor authentication, which your identity provider did not report' });
    }
    return kit.proceed(ctx, interaction, flow);
  }

  async function idpChoicesForSignIn(kit: InteractionKit, interaction: Interaction, flow: Flow): Promise<IdpChoice[]> {
    const choices = await signIn.buttons();
    // Re-authenticating a session that came through an IdP: offer that IdP even without a button.
    if (flow.reauth && interaction.session?.uid) {
      const marks = await kit.marks.get(interaction.session.uid);
      const identity = marks?.identityId ? await deps.store.findIdentityById(marks.identityId) : undefined;
      const idp = identity ? await deps.store.findIdentityProvider(identity.idpId) : undefined;
      if (idp?.enabled && !choices.some((c) => c.id === idp.id)) choices.unshift({ id: idp.id, name: idp.name });
    }
    return choices;
  }

  /** An RP's hint (`domain_hint`, or a `login_hint` that is a domain name): straight to that organization's IdP. */
  function hintedDomain(interaction: Interaction): string | undefined {
    for (const value of [interaction.params.domain_hint, interaction.params.login_hint]) {
      if (typeof value !== 'string' || value.includes('@')) continue;
      const domain = normalizeDomain(value);
      if (isHostname(domain) && domain.includes('.')) return domain;
    }
    return undefined;
  }

  // ---------- the extension ----------

  const extension: InteractionExtension = {
    async signInPage(ctx, interaction, flow, kit) {
      const domain = hintedDomain(interaction);
      if (domain && !flow.private.hintUsed && flow.messages.length === 0 && !flow.reauth) {
        flow.private.hintUsed = true; // once: coming back with an error shows the normal page
        const choices = await signIn.idpsOfDomain(domain);
        if (choices.length === 1) {
          const outcome = await upstream.begin(flow, choices[0].id, 'sign_in');
          if (outcome.kind === 'redirect') {
            await kit.saveFlow(interaction, flow);
            ctx.status = 303;
            ctx.redirect(outcome.url);
            return null;
          }
          if (outcome.kind === 'failed') flow.messages = [outcome.message];
        } else if (choices.length > 1) {
          await kit.saveFlow(interaction, flow);
          domainPage(ctx, interaction, { domain, choices });
          return null;
        }
        await kit.saveFlow(interaction, flow);
      }
      const idps = await idpChoicesForSignIn(kit, interaction, flow);
      return { idps, idpAction: `/interaction/${interaction.uid}/credentials` };
    },

    async renderStep(ctx, interaction, flow, kit) {
      if (flow.step === 'link_account') {
        const pending = await upstream.candidates(flow);
        if (!pending) return false;
        ctx.type = 'html';
        ctx.body = render('link-account', {
          title: 'Link your Account',
          messages: flow.messages,
          idpName: pending.idpName,
          email: upstream.pendingLink(flow)?.claims.email,
          candidates: pending.candidates.map((c) => ({ ...c, idpText: c.idpNames.join(', ') })),
          canProvision: pending.canProvision,
          action: `/interaction/${interaction.uid}/link`,
          abortAction: `/interaction/${interaction.uid}/abort`,
        });
        return true;
      }
      if (flow.step === 'link_password') {
        const link = upstream.pendingLink(flow);
        const target = link?.targetAccountId ? await deps.accounts.findById(link.targetAccountId) : undefined;
        if (!target) return false;
        ctx.type = 'html';
        ctx.body = render('link-password', {
          title: 'Sign in to the profile you chose',
          messages: flow.messages,
          username: target.username,
          action: `/interaction/${interaction.uid}/link/password`,
          abortAction: `/interaction/${interaction.uid}/abort`,
        });
        return true;
      }
      void kit;
      return false;
    },

    async beforeComplete(ctx, _interaction, flow) {
      if (!flow.private.link) return;
      const identityId = await upstream.completeLink(flow, { ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined });
      if (!identityId) throw new DomainError('link.not_proven', 'The profile to link was not proven. Start again.', { status: 403 });
      flow.identityId = identityId;
      flow.amr = [...new Set(['fed', ...flow.amr])];
    },

    routes(kit) {
      const { router } = kit;

      router.get('/:uid/domain', async (ctx) => {
        const { interaction, flow } = await kit.load(ctx);
        if (flow.step !== 'credentials') return kit.showStep(ctx, interaction);
        domainPage(ctx, interaction, {});
      });

      router.post('/:uid/domain', async (ctx) => {
        const { interaction, flow } = await kit.load(ctx);
        if (flow.step !== 'credentials') return kit.showStep(ctx, interaction);
        const typed = formInput(ctx.request.body).domain ?? '';
        const domain = normalizeDomain(typed);
        // One answer for "no such domain" and "no IdP there": nothing hints at which domains exist.
        const choices = isHostname(domain) ? await signIn.idpsOfDomain(domain) : [];
        if (choices.length === 0) {
          const message = { code: 'federation.domain_not_found', text: 'We couldn’t find single sign-on for that domain. Check the domain name with a member of your organization.', level: 'error' as const };
          return domainPage(ctx, interaction, { domain: typed.slice(0, 253), messages: [message] }, 404);
        }
        if (choices.length > 1) return domainPage(ctx, interaction, { domain, choices });
        const outcome = await upstream.begin(flow, choices[0].id, 'sign_in');
        if (outcome.kind === 'redirect') {
          await kit.saveFlow(interaction, flow);
          ctx.status = 303;
          return ctx.redirect(outcome.url);
        }
        return domainPage(ctx, interaction, { domain, messages: outcome.kind === 'failed' ? [outcome.message] : [] }, 502);
      });

      router.get('/:uid/upstream/callback', async (ctx) => {
        const { interaction, flow } = await kit.load(ctx);
        const request = kit.requestInfo(ctx);
        const query = new URLSearchParams(ctx.querystring);
        const outcome = await upstream.callback(flow, query, request);
        // The scratch state is gone now: save at once, so this response can't be replayed.
        await kit.saveFlow(interaction, flow);
        switch (outcome.kind) {
          case 'failed':
            await deps.audit.record({
              actor: flow.accountId ?? null,
              action: 'session.sign_in',
              outcome: 'failure',
              target: flow.accountId ?? null,
              details: { method: 'upstream', reason: outcome.message.code, ...(outcome.reason ? { upstream: outcome.reason.slice(0, 300) } : {}) },
              ...request,
            });
            return backToSignIn(ctx, kit, interaction, flow, outcome.message);
          case 'choose_link':
            flow.step = 'link_account';
            flow.messages = [];
            await kit.saveFlow(interaction, flow);
            return kit.showStep(ctx, interaction);
          case 'link_proved':
            return signedIn(ctx, kit, interaction, flow, { accountId: outcome.accountId, amr: outcome.amr });
          default:
            return signedIn(ctx, kit, interaction, flow, outcome);
        }
      });

      router.post('/:uid/link', async (ctx) => {
        const { interaction, flow } = await kit.load(ctx);
        if (flow.step !== 'link_account') return kit.showStep(ctx, interaction);
        const input = formInput(ctx.request.body);
        const request = kit.requestInfo(ctx);
        if (input.action === 'skip') {
          const outcome = await upstream.provisionPending(flow, request);
          if (outcome.kind === 'failed') return backToSignIn(ctx, kit, interaction, flow, outcome.message, false);
          if (outcome.kind !== 'signed_in') return kit.showStep(ctx, interaction);
          return signedIn(ctx, kit, interaction, flow, outcome);
        }
        const pending = await upstream.candidates(flow);
        const link = upstream.pendingLink(flow);
        if (!pending || !link) return backToSignIn(ctx, kit, interaction, flow, { code: 'federation.response_unexpected', text: 'This sign-in has expired. Start again.', level: 'error' }, false);
        const chosen = pending.candidates.find((c) => c.accountId === input.account);
        const idp = await signIn.enabledIdp(link.claims.idpId);
        const refusal = !chosen
          ? { code: 'link.not_a_candidate', text: 'Select the profile you want to link.' }
          : chosen.refusal;
        if (refusal) {
          await deps.linking.recordRefusal(new DomainError(refusal.code, refusal.text), { actor: null, target: chosen?.accountId ?? null, idp, request, details: { via: 'sign_in' } });
          flow.messages = [{ code: refusal.code, text: refusal.text, level: 'error' }];
          await kit.saveFlow(interaction, flow);
          return kit.renderStep(ctx, interaction, flow, 409);
        }
        flow.private.link = { ...link, targetAccountId: chosen!.accountId, verified: false };
        flow.messages = [];
        if (chosen!.proof.kind === 'password') {
          flow.step = 'link_password';
          await kit.saveFlow(interaction, flow);
          return kit.showStep(ctx, interaction);
        }
        const outcome = await upstream.begin(flow, chosen!.proof.idpId, 'link_proof');
        if (outcome.kind === 'redirect') {
          await kit.saveFlow(interaction, flow);
          ctx.status = 303;
          return ctx.redirect(outcome.url);
        }
        flow.messages = outcome.kind === 'failed' ? [outcome.message] : [];
        await kit.saveFlow(interaction, flow);
        return kit.renderStep(ctx, interaction, flow, 502);
      });

      router.post('/:uid/link/password', async (ctx) => {
        const { interaction, flow } = await kit.load(ctx);
        if (flow.step !== 'link_password') return kit.showStep(ctx, interaction);
        const link = upstream.pendingLink(flow);
        const target = link?.targetAccountId ? await deps.accounts.findById(link.targetAccountId) : undefined;
        if (!link || !target) return backToSignIn(ctx, kit, interaction, flow, { code: 'federation.response_unexpected', text: 'This sign-in has expired. Start again.', level: 'error' }, false);
        const password = (formInput(ctx.request.body).password ?? '').slice(0, 256);
        // Same cost whether or not the credential exists (the hasher verifies a dummy hash).
        const credential = await deps.accounts.findPasswordCredential(target.username);
        const ok = await deps.hasher.verify(credential?.hash, password);
        const request = kit.requestInfo(ctx);
        if (!ok || credential?.accountId !== target.id) {
          flow.failures += 1;
          await deps.audit.record({ actor: null, action: 'federation.link_proof', outcome: 'failure', target: target.id, details: { method: 'password' }, ...request });
          if (flow.failures >= MAX_MFA_FAILURES) return kit.finish(ctx, { error: 'access_denied', error_description: 'too many failed sign-in attempts; start again' });
          flow.messages = [{ code: 'session.invalid_credentials', text: 'The password is incorrect.', level: 'error' }];
          await kit.saveFlow(interaction, flow);
          return kit.renderStep(ctx, interaction, flow, 200);
        }
        if (flow.reauth && interaction.session?.accountId !== target.id) flow.reauth = false;
        flow.private.link = { ...link, verified: true };
        flow.accountId = target.id;
        flow.amr = [...new Set([...flow.amr, 'pwd'])];
        flow.passwordAt = kit.nowSeconds();
        flow.messages = [];
        flow.private.emailPrompted = true;
        // Signing in as the chosen profile means its MFA too: challenge, or enrol when it has none.
        stepAfterPassword(flow, target, await kit.mfa.listMethods(target.id), undefined, kit.nowSeconds());
        return kit.proceed(ctx, interaction, flow);
      });
    },
  };

  // The redirect URI registered at every IdP: routes the answer to the flow its state names. The
  // interaction cookie is scoped to /interaction/<uid>, so the browser must be sent there to show it.
  const callbackRouter = new Router();
  callbackRouter.get('/federation/callback', (ctx) => {
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const match = STATE.exec(state);
    ctx.set('Cache-Control', 'no-store');
    if (!match) {
      throw new DomainError('federation.state_missing', 'This sign-in response is not valid. Go back to the application and start again.', { status: 400 });
    }
    ctx.status = 303;
    const target = match[1] === PROFILE_STATE_PREFIX ? '/account/linked-profiles/callback' : `/interaction/${match[1]}/upstream/callback`;
    ctx.redirect(`${target}?${ctx.querystring}`);
  });

  return { extension, callbackRouter };
}
