// The sign-in and consent pages oidc-provider sends people to. Each handler loads the
// interaction and its flow, runs one step, and either re-renders with a message or finishes.
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AuditLog } from '../accounts/audit.ts';
import { render, type ViewMessage } from '../views/render.ts';
import { acrFor } from './assurance.ts';
import { loadFlow, type Flow } from './flow.ts';
import type { MethodRegistry } from './methods/registry.ts';
import type { RequestInfo } from './methods/method.ts';

/** After this many failed submissions the flow ends and the person starts again. */
export const MAX_FLOW_FAILURES = 5;

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

export function createInteractionRoutes(deps: {
  provider: Provider;
  methods: MethodRegistry;
  audit: AuditLog;
  signInLinks?: SignInLink[];
}) {
  const { provider, methods, audit } = deps;
  const router = new Router({ prefix: '/interaction' });

  const requestInfo = (ctx: Context): RequestInfo => ({ ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined });

  async function clientName(interaction: Interaction) {
    const client = await provider.Client.find(String(interaction.params.client_id));
    return (client?.clientName as string | undefined) ?? client?.clientId;
  }

  async function renderSignIn(ctx: Context, interaction: Interaction, flow: Flow, status = 200) {
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = render('sign-in', {
      title: 'Sign in',
      clientName: await clientName(interaction),
      action: `/interaction/${interaction.uid}/credentials`,
      abortAction: `/interaction/${interaction.uid}/abort`,
      username: flow.form.username ?? '',
      messages: flow.messages satisfies ViewMessage[],
      links: deps.signInLinks ?? [],
    });
  }

  async function saveFlow(interaction: Interaction, flow: Flow) {
    interaction.result = { ...(interaction.result ?? {}), flow };
    await interaction.save(Math.max(1, interaction.exp - Math.floor(Date.now() / 1000)));
  }

  async function finish(ctx: Context, result: Record<string, unknown>) {
    const redirectTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(redirectTo);
  }

  router.get('/:uid', async (ctx) => {
    const interaction = await provider.interactionDetails(ctx.req, ctx.res);
    if (interaction.uid !== ctx.params.uid) return ctx.throw(400, 'interaction mismatch');
    const flow = loadFlow(interaction.uid, interaction.result);
    if (interaction.prompt.name === 'login') return renderSignIn(ctx, interaction, flow);
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

  // Runs the flow's current step through the methods registered for it, in order.
  router.post('/:uid/credentials', async (ctx) => {
    const interaction = await provider.interactionDetails(ctx.req, ctx.res);
    if (interaction.uid !== ctx.params.uid || interaction.prompt.name !== 'login') {
      return ctx.throw(400, 'This sign-in step is not expected now.');
    }
    const flow = loadFlow(interaction.uid, interaction.result);
    const input = formInput(ctx.request.body);
    flow.messages = [];
    flow.form = { username: (input.username ?? '').slice(0, 100) };

    for (const method of methods.forStep(flow.step)) {
      const outcome = await method.submit(flow, input, requestInfo(ctx));
      if (outcome.kind === 'not-mine') continue;
      if (outcome.kind === 'failed') {
        flow.failures += 1;
        await audit.record({
          action: 'session.sign_in',
          outcome: 'failure',
          target: flow.accountId ?? null,
          details: { method: method.id, reason: outcome.message.code, username: flow.form.username },
          ...requestInfo(ctx),
        });
        if (flow.failures >= MAX_FLOW_FAILURES) {
          return finish(ctx, {
            error: 'access_denied',
            error_description: 'too many failed sign-in attempts; start again',
          });
        }
        flow.messages = [outcome.message];
        await saveFlow(interaction, flow);
        return renderSignIn(ctx, interaction, flow, 200);
      }
      flow.accountId = outcome.accountId;
      flow.amr = [...new Set([...flow.amr, ...outcome.amr])];
      flow.step = 'complete';
      break;
    }

    if (flow.step !== 'complete' || !flow.accountId) {
      flow.messages = [{ code: 'session.method_unavailable', text: 'This sign-in method is not available.', level: 'error' }];
      return renderSignIn(ctx, interaction, flow, 400);
    }
    await audit.record({
      actor: flow.accountId,
      action: 'session.sign_in',
      outcome: 'success',
      target: flow.accountId,
      details: { amr: flow.amr, client_id: interaction.params.client_id },
      ...requestInfo(ctx),
    });
    return finish(ctx, { login: { accountId: flow.accountId, amr: flow.amr, acr: acrFor(flow.amr), remember: true } });
  });

  router.post('/:uid/consent', async (ctx) => {
    const interaction = await provider.interactionDetails(ctx.req, ctx.res);
    if (interaction.uid !== ctx.params.uid || interaction.prompt.name !== 'consent') {
      return ctx.throw(400, 'Consent is not expected now.');
    }
    const { accountId } = interaction.session ?? {};
    const grant = interaction.grantId
      ? await provider.Grant.find(interaction.grantId)
      : new provider.Grant({ accountId, clientId: String(interaction.params.client_id) });
    if (!grant) return ctx.throw(400, 'The grant for this request no longer exists.');
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
    const interaction = await provider.interactionDetails(ctx.req, ctx.res);
    if (interaction.uid !== ctx.params.uid) return ctx.throw(400, 'interaction mismatch');
    return finish(ctx, { error: 'access_denied', error_description: 'the user cancelled the request' });
  });

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
