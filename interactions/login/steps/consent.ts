// The consent prompt: only third-party clients reach it (first-party grants are created by the provider config).
//   POST /interaction/:uid/consent
import { DomainError } from '../../../accounts/errors.ts';
import type { LoginStep } from '../step.ts';
import { interactionPath, stepPage } from '../page.ts';
import { flowOf, loadFlow } from '../pipeline.ts';

const SCOPE_TEXT: Record<string, string> = {
  openid: 'Sign you in',
  profile: 'See your name and username',
  email: 'See your email address',
  phone: 'See your phone number',
  org: 'See your organization',
  offline_access: 'Stay signed in when you are away',
};

export function createConsentStep(): LoginStep {
  return {
    step: 'consent',
    async render(ctx, s, engine) {
      const { interaction } = s;
      // Consent is remembered (server/provider.ts loadExistingGrant): ask only for what was never granted.
      const missing = (interaction.prompt.details as { missingOIDCScope?: string[] }).missingOIDCScope;
      const scopes = missing ?? String(interaction.params.scope ?? '').split(' ').filter(Boolean);
      stepPage(ctx, s, 'consent', {
        title: 'page.title.allow_access',
        clientName: await engine.clientName(interaction),
        scopes: scopes.map((id) => ({ id, text: SCOPE_TEXT[id] ?? id, known: Object.hasOwn(SCOPE_TEXT, id) })),
        action: interactionPath(interaction.uid, '/consent'),
      });
    },
    routes(router, engine) {
      router.post('/:uid/consent', loadFlow(engine, 'consent'), async (ctx) => {
        const { interaction } = flowOf(ctx);
        const { accountId } = interaction.session ?? {};
        const provider = engine.provider;
        const grant = interaction.grantId
          ? await provider.Grant.find(interaction.grantId)
          : new provider.Grant({ accountId, clientId: String(interaction.params.client_id) });
        if (!grant) throw new DomainError('session.grant_gone');
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
        await engine.audit.record({
          actor: accountId ?? null,
          action: 'consent.grant',
          outcome: 'success',
          target: String(interaction.params.client_id),
          details: { scope: details.missingOIDCScope ?? [] },
          ...engine.requestInfo(ctx),
        });
        return engine.finish(ctx, { consent: { grantId } });
      });
    },
  };
}
