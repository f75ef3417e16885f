// The interaction of one HTTP request, as oidc-provider finds it (interactionDetails: the id from its
// signed cookie, the session it started in checked), looked up once per request: the page branding
// (before the route) and the login engine both need it. Kept on ctx.state, so it dies with the
// request; the next request finds it again, with whatever changed meanwhile.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';

export type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

type State = { providerInteraction?: Promise<Interaction> };

/** interactionDetails, at most once per request (a rejection too: the same error for every caller). */
export function interactionOfRequest(provider: Pick<Provider, 'interactionDetails'>, ctx: Context): Promise<Interaction> {
  const state = ctx.state as State;
  return (state.providerInteraction ??= provider.interactionDetails(ctx.req, ctx.res));
}

/** The interaction this request already looked up, if any (no lookup otherwise). */
export function interactionReadInRequest(ctx: Context): Promise<Interaction> | undefined {
  return (ctx.state as State | undefined)?.providerInteraction;
}
