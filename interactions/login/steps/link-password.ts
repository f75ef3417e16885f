// Step `link_password`: prove the profile chosen on "Link your Account" with its own password,
// through the registry's password method (so its SSO refusal and rehash apply), then its MFA.
//   POST /interaction/:uid/link/password
import { z } from 'zod';
import type { AccountStore } from '../../../accounts/account.ts';
import type { UpstreamMethod } from '../../methods/upstream-method.ts';
import type { LoginStep } from '../step.ts';
import type { FlowMessage } from '../flow.ts';
import { interactionPath, stepPage } from '../page.ts';
import { field, flowOf, form, formOf, loadFlow, requireStep } from '../pipeline.ts';

const passwordForm = z.object({ password: field() });

const EXPIRED: FlowMessage = { code: 'federation.response_unexpected', level: 'error' };

export function createLinkPasswordStep(deps: { upstream: UpstreamMethod; accounts: AccountStore }): LoginStep {
  const target = async (s: { flow: Parameters<UpstreamMethod['pendingLink']>[0] }) => {
    const link = deps.upstream.pendingLink(s.flow);
    const account = link?.targetAccountId ? await deps.accounts.findById(link.targetAccountId) : undefined;
    return link && account ? { link, account } : undefined;
  };
  return {
    step: 'link_password',
    async render(ctx, s, engine) {
      const found = await target(s);
      if (!found) return engine.showStep(ctx, s);
      stepPage(ctx, s, 'link-password', {
        title: 'page.title.sign_in_to_the_profile_you_chose',
        username: found.account.username,
        action: interactionPath(s.interaction.uid, '/link/password'),
      });
    },
    routes(router, engine) {
      router.post('/:uid/link/password', loadFlow(engine), requireStep(engine, 'link_password'), form(passwordForm), async (ctx) => {
        const s = flowOf(ctx);
        const found = await target(s);
        if (!found) return engine.fail(ctx, s, { method: 'password', message: EXPIRED, counts: false, startOver: true });
        const { link, account } = found;
        const password = formOf(ctx, passwordForm).password;
        const method = engine.methods.password;
        const outcome = await engine.verifyFactor(
          ctx,
          s,
          { kind: method.id, username: account.username },
          async () => {
            const o = await method.submit(s.flow, { username: account.username, password }, engine.requestInfo(ctx));
            // The chosen profile's password, not any account's.
            return o.kind === 'verified' && o.accountId !== account.id ? { kind: 'failed' as const, message: INVALID_PASSWORD } : o;
          },
          { action: 'federation.link_proof', actor: null, target: account.id, details: { method: 'password' } },
        );
        if (outcome.kind !== 'verified') return engine.showStep(ctx, s);
        s.flow.private.link = { ...link, verified: true };
        s.flow.emailPrompted = true;
        // Signing in as the chosen profile means its MFA too: challenge, or enrol when it has none.
        return engine.firstFactorDone(ctx, s, { accountId: account.id, amr: outcome.amr, password, method: method.id });
      });
    },
  };
}

const INVALID_PASSWORD: FlowMessage = { code: 'session.invalid_credentials', level: 'error' };
