// Federation's "Use custom domain" page, reached from step `credentials`:
//   GET  /interaction/:uid/domain   Enter your organization's domain name
//   POST /interaction/:uid/domain   "Continue" → the organization's IdP (a chooser when it has several)
import type { Context } from 'koa';
import { z } from 'zod';
import type { FederatedSignIn, IdpChoice } from '../../../federation/federated-sign-in.ts';
import { isHostname, normalizeDomain } from '../../../federation/domains.ts';
import type { UpstreamMethod } from '../../methods/upstream-method.ts';
import type { FlowMessage } from '../flow.ts';
import type { LoadedFlow } from '../engine.ts';
import type { LoginStep } from '../step.ts';
import { interactionPath, stepPage } from '../page.ts';
import { field, flowOf, form, formOf, loadFlow, requireStep } from '../pipeline.ts';

const domainForm = z.object({ domain: field() });

export function domainPage(ctx: Context, s: LoadedFlow, model: { domain?: string; messages?: FlowMessage[]; choices?: IdpChoice[] }, status = 200) {
  const uid = s.interaction.uid;
  ctx.status = status;
  stepPage(ctx, s, model.choices ? 'idp-choose' : 'custom-domain', {
    title: model.choices ? 'page.title.choose_your_identity_provider' : 'page.title.use_custom_domain',
    messages: model.messages ?? [],
    domain: model.domain ?? '',
    choices: model.choices ?? [],
    action: interactionPath(uid, '/domain'),
    idpAction: interactionPath(uid, '/credentials'),
    backHref: interactionPath(uid),
  });
}

export function createCustomDomainStep(deps: { upstream: UpstreamMethod; signIn: FederatedSignIn }): LoginStep {
  return {
    routes(router, engine) {
      router.get('/:uid/domain', loadFlow(engine), requireStep(engine, 'credentials'), async (ctx) => {
        domainPage(ctx, flowOf(ctx), {});
      });

      router.post('/:uid/domain', loadFlow(engine), requireStep(engine, 'credentials'), form(domainForm), async (ctx) => {
        const s = flowOf(ctx);
        const typed = formOf(ctx, domainForm).domain.slice(0, 300);
        const domain = normalizeDomain(typed);
        // One answer for "no such domain" and "no IdP there": nothing hints at which domains exist.
        const choices = isHostname(domain) ? await deps.signIn.idpsOfDomain(domain) : [];
        if (choices.length === 0) {
          const message: FlowMessage = { code: 'federation.domain_not_found', level: 'error' };
          return domainPage(ctx, s, { domain: typed.slice(0, 253), messages: [message] }, 404);
        }
        if (choices.length > 1) return domainPage(ctx, s, { domain, choices });
        const outcome = await deps.upstream.begin(s.flow, choices[0].id, 'sign_in');
        if (outcome.kind === 'redirect') {
          await engine.save(s);
          ctx.status = 303;
          return ctx.redirect(outcome.url);
        }
        return domainPage(ctx, s, { domain, messages: outcome.kind === 'failed' ? [outcome.message] : [] }, 502);
      });
    },
  };
}
