// Federation's login steps (interactions/login/steps/: upstream-sign-in, custom-domain,
// link-account, link-password), contributed to the login engine like any other step, and the
// one redirect URI registered at every IdP:
//   GET /federation/callback   → the flow (or the profile's "Link a profile") its state names
import Router from '@koa/router';
import type { AccountStore } from '../accounts/account.ts';
import { DomainError } from '../accounts/errors.ts';
import type { FactorMarksStore } from '../accounts/reauthentication.ts';
import type { FederatedSignIn } from '../federation/federated-sign-in.ts';
import type { FederationStore } from '../federation/federation-store.ts';
import type { Linking } from '../federation/linking.ts';
import type { LoginStep } from './login/step.ts';
import { createCustomDomainStep } from './login/steps/custom-domain.ts';
import { createLinkAccountStep } from './login/steps/link-account.ts';
import { createLinkPasswordStep } from './login/steps/link-password.ts';
import { createUpstreamSignInStep } from './login/steps/upstream-sign-in.ts';
import type { UpstreamMethod } from './methods/upstream-method.ts';

/** interaction uids are oidc-provider nanoids; the state's random part is openid-client's 43 characters. */
const STATE = /^([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{16,128})$/;
/** The profile's "Link a profile" round trips use this state prefix (interactions/linked-profiles-routes.ts). */
export const PROFILE_STATE_PREFIX = 'profile';

export function createFederationSteps(deps: {
  upstream: UpstreamMethod;
  signIn: FederatedSignIn;
  linking: Linking;
  store: FederationStore;
  accounts: AccountStore;
  marks: FactorMarksStore;
}): { steps: LoginStep[]; callbackRouter: Router } {
  const steps = [
    createUpstreamSignInStep(deps),
    createCustomDomainStep(deps),
    createLinkAccountStep(deps),
    createLinkPasswordStep(deps),
  ];

  // The interaction cookie is scoped to /interaction/<uid>, so the browser must be sent there to show it.
  const callbackRouter = new Router();
  callbackRouter.get('/federation/callback', (ctx) => {
    const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
    const match = STATE.exec(state);
    ctx.set('Cache-Control', 'no-store');
    if (!match) {
      throw new DomainError('federation.state_missing', { status: 400 });
    }
    ctx.status = 303;
    const target = match[1] === PROFILE_STATE_PREFIX ? '/account/linked-profiles/callback' : `/interaction/${match[1]}/upstream/callback`;
    ctx.redirect(`${target}?${ctx.querystring}`);
  });

  return { steps, callbackRouter };
}
