// Federation's part of step `credentials`: "Sign in with <IdP>" buttons, an RP's domain hint
// (`domain_hint`, or a `login_hint` that is a domain name) straight to that organization's IdP,
// and the IdP's answer.
//   GET /interaction/:uid/upstream/callback   every check of the upstream leg → signed in / link / message
// SSO logins skip Gatehouse MFA and the email prompt: the IdP is the first factor and handles MFA.
import type { FederatedSignIn, IdpChoice } from '../../../federation/federated-sign-in.ts';
import type { FederationStore } from '../../../federation/federation-store.ts';
import { isHostname, normalizeDomain } from '../../../federation/domains.ts';
import type { FactorMarksStore } from '../../../accounts/reauthentication.ts';
import type { UpstreamMethod } from '../../methods/upstream-method.ts';
import type { Interaction, LoadedFlow } from '../engine.ts';
import type { LoginStep } from '../step.ts';
import { interactionPath } from '../page.ts';
import { flowOf, loadFlow } from '../pipeline.ts';
import { domainPage } from './custom-domain.ts';

/** An RP's hint (`domain_hint`, or a `login_hint` that is a domain name). */
function hintedDomain(interaction: Interaction): string | undefined {
  for (const value of [interaction.params.domain_hint, interaction.params.login_hint]) {
    if (typeof value !== 'string' || value.includes('@')) continue;
    const domain = normalizeDomain(value);
    if (isHostname(domain) && domain.includes('.')) return domain;
  }
  return undefined;
}

export function createUpstreamSignInStep(deps: { upstream: UpstreamMethod; signIn: FederatedSignIn; store: FederationStore; marks: FactorMarksStore }): LoginStep {
  const { upstream, signIn } = deps;

  async function idpChoices({ interaction, flow }: LoadedFlow): Promise<IdpChoice[]> {
    const choices = await signIn.buttons();
    // Re-authenticating a session that came through an IdP: offer that IdP even without a button.
    if (flow.reauth && interaction.session?.uid) {
      const marks = await deps.marks.get(interaction.session.uid);
      const identity = marks?.identityId ? await deps.store.findIdentityById(marks.identityId) : undefined;
      const idp = identity ? await deps.store.findIdentityProvider(identity.idpId) : undefined;
      if (idp?.enabled && !choices.some((c) => c.id === idp.id)) choices.unshift({ id: idp.id, name: idp.name });
    }
    return choices;
  }

  return {
    async signInPage(ctx, s, engine) {
      const { interaction, flow } = s;
      const domain = hintedDomain(interaction);
      if (domain && !flow.hintUsed && flow.messages.length === 0 && !flow.reauth) {
        flow.hintUsed = true; // once: coming back with an error shows the normal page
        const choices = await signIn.idpsOfDomain(domain);
        if (choices.length === 1) {
          const outcome = await upstream.begin(flow, choices[0].id, 'sign_in');
          if (outcome.kind === 'redirect') {
            await engine.save(s);
            ctx.status = 303;
            ctx.redirect(outcome.url);
            return null;
          }
          if (outcome.kind === 'failed') flow.messages = [outcome.message];
        } else if (choices.length > 1) {
          await engine.save(s);
          domainPage(ctx, s, { domain, choices });
          return null;
        }
        await engine.save(s);
      }
      return { idps: await idpChoices(s), idpAction: interactionPath(interaction.uid, '/credentials') };
    },

    routes(router, engine) {
      router.get('/:uid/upstream/callback', loadFlow(engine), async (ctx) => {
        const s = flowOf(ctx);
        const request = engine.requestInfo(ctx);
        const outcome = await upstream.callback(s.flow, new URLSearchParams(ctx.querystring), request);
        // The scratch state is gone now: save at once, so this response can't be replayed.
        await engine.save(s);
        switch (outcome.kind) {
          case 'failed':
            return engine.fail(ctx, s, {
              method: 'upstream',
              message: outcome.message,
              action: 'session.sign_in',
              organizationId: outcome.audit?.organizationId,
              details: outcome.audit?.details ?? { method: 'upstream', reason: outcome.message.code, ...(outcome.reason ? { upstream: outcome.reason.slice(0, 300) } : {}) },
              startOver: true,
            });
          case 'choose_link':
            engine.advance(s.flow, 'choose_link');
            await engine.save(s);
            return engine.showStep(ctx, s);
          case 'link_proved':
            return engine.firstFactorDone(ctx, s, { accountId: outcome.accountId, amr: outcome.amr, sso: true });
          default:
            return engine.firstFactorDone(ctx, s, { ...outcome, sso: true });
        }
      });
    },
  };
}
