// Step `link_account` ("Link your Account"): a first SSO sign-in whose email matches profiles in
// the same organization may link to one of them, proven by its password or its own IdP; or
// "Skip" to a new SSO account where the IdP provisions users.
//   POST /interaction/:uid/link
import { z } from 'zod';
import { DomainError } from '../../../accounts/errors.ts';
import type { FederatedSignIn } from '../../../federation/federated-sign-in.ts';
import { linkRefusals, type Linking } from '../../../federation/linking.ts';
import type { FlowMessage } from '../flow.ts';
import type { UpstreamMethod } from '../../methods/upstream-method.ts';
import type { LoginStep } from '../step.ts';
import { FlowError } from '../flow-error.ts';
import { interactionPath, stepPage } from '../page.ts';
import { field, flowOf, form, formOf, loadFlow, requireStep } from '../pipeline.ts';

const linkForm = z.object({ action: field(), account: field() });

const EXPIRED: FlowMessage = { code: 'federation.response_unexpected', level: 'error' };

export function createLinkAccountStep(deps: { upstream: UpstreamMethod; signIn: FederatedSignIn; linking: Linking }): LoginStep {
  const { upstream } = deps;
  return {
    step: 'link_account',
    async render(ctx, s, engine) {
      const pending = await upstream.candidates(s.flow);
      if (!pending) return engine.showStep(ctx, s);
      stepPage(ctx, s, 'link-account', {
        title: 'page.title.link_your_account',
        idpName: pending.idpName,
        email: upstream.pendingLink(s.flow)?.claims.email,
        candidates: pending.candidates.map((c) => ({ ...c, idpText: c.idpNames.join(', ') })),
        canProvision: pending.canProvision,
        action: interactionPath(s.interaction.uid, '/link'),
      });
    },

    // A proven link is made only when the whole login (the profile's MFA included) is done.
    async beforeComplete(ctx, s, engine) {
      const { flow } = s;
      if (!flow.private.link) return;
      const identityId = await upstream.completeLink(flow, engine.requestInfo(ctx));
      if (!identityId) throw new DomainError('link.not_proven', { status: 403 });
      flow.identityId = identityId;
      engine.addFactor(flow, ['fed']);
    },

    routes(router, engine) {
      router.post('/:uid/link', loadFlow(engine), requireStep(engine, 'link_account'), form(linkForm), async (ctx) => {
        const s = flowOf(ctx);
        const { flow } = s;
        const input = formOf(ctx, linkForm);
        const request = engine.requestInfo(ctx);
        if (input.action === 'skip') {
          const outcome = await upstream.provisionPending(flow, request);
          if (outcome.kind === 'failed') return engine.fail(ctx, s, { method: 'upstream', message: outcome.message, counts: false, startOver: true });
          if (outcome.kind !== 'signed_in') return engine.showStep(ctx, s);
          return engine.firstFactorDone(ctx, s, { ...outcome, sso: true });
        }
        const pending = await upstream.candidates(flow);
        const link = upstream.pendingLink(flow);
        if (!pending || !link) return engine.fail(ctx, s, { method: 'upstream', message: EXPIRED, counts: false, startOver: true });
        const chosen = pending.candidates.find((c) => c.accountId === input.account);
        const idp = await deps.signIn.enabledIdp(link.claims.idpId);
        const refusal = !chosen ? linkRefusals.notCandidate().toMessage() : chosen.refusal;
        if (refusal) {
          await deps.linking.recordRefusal(refusal, { actor: null, target: chosen?.accountId ?? null, idp, request, details: { via: 'sign_in' } });
          throw new FlowError({ ...refusal, level: 'error' }, 409);
        }
        flow.private.link = { ...link, targetAccountId: chosen!.accountId, verified: false };
        flow.messages = [];
        if (chosen!.proof.kind === 'password') {
          engine.advance(flow, 'prove_by_password');
          await engine.save(s);
          return engine.showStep(ctx, s);
        }
        const outcome = await upstream.begin(flow, chosen!.proof.idpId, 'link_proof');
        if (outcome.kind === 'redirect') {
          await engine.save(s);
          ctx.status = 303;
          return ctx.redirect(outcome.url);
        }
        throw new FlowError(outcome.kind === 'failed' ? outcome.message : EXPIRED, 502);
      });
    },
  };
}
