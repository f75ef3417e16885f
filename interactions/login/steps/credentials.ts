// Step `credentials`: the sign-in page, and its first factor (the registry's methods for this step,
// in order: an IdP button, else username + password).
//   POST /interaction/:uid/credentials
import { z } from 'zod';
import type { LoginStep } from '../step.ts';
import { stepPage, interactionPath } from '../page.ts';
import { field, flowOf, form, formOf, loadFlow, requireStep, stringFields } from '../pipeline.ts';
import { FlowError } from '../flow-error.ts';

export type SignInLink = { id: string; text: string; href: string };

const credentialsForm = z.object({ username: field(), password: field() });

export function createCredentialsStep(deps: { signInLinks?: SignInLink[] }): LoginStep {
  return {
    step: 'credentials',
    async render(ctx, s, engine) {
      const { interaction, flow } = s;
      let extra: Record<string, unknown> = {};
      for (const step of engine.steps) {
        const more = step.signInPage ? await step.signInPage(ctx, s, engine) : {};
        if (more === null) return; // it answered (e.g. an RP's domain hint went straight to the IdP)
        extra = { ...extra, ...more };
      }
      stepPage(ctx, s, 'sign-in', {
        messages: flow.reauth && flow.messages.length === 0
          ? [{ code: 'session.reauthenticate', level: 'info' }]
          : flow.messages,
        title: 'page.title.sign_in',
        clientName: await engine.clientName(interaction),
        action: interactionPath(interaction.uid, '/credentials'),
        username: flow.form.username ?? '',
        // A link may name this sign-in (":uid"), e.g. "Use custom domain".
        links: (deps.signInLinks ?? []).map((l) => ({ ...l, href: l.href.replace(':uid', interaction.uid) })),
        ...extra,
      });
    },
    routes(router, engine) {
      router.post('/:uid/credentials', loadFlow(engine), requireStep(engine, 'credentials'), form(credentialsForm), async (ctx) => {
        const s = flowOf(ctx);
        const { username } = formOf(ctx, credentialsForm);
        const input = stringFields(ctx.request.body);
        s.flow.messages = [];
        s.flow.form = { username: username.slice(0, 100) };
        for (const method of engine.methods.forStep('credentials')) {
          const subject = { kind: method.id, username: method.throttleSubject?.(input) };
          const outcome = await engine.verifyFactor(ctx, s, subject, () => method.submit(s.flow, input, engine.requestInfo(ctx)));
          if (outcome.kind === 'not-mine') continue;
          if (outcome.kind === 'redirect') {
            // The factor happens elsewhere (an upstream IdP): keep the flow's private state, then go there.
            await engine.save(s);
            ctx.status = 303;
            return ctx.redirect(outcome.url);
          }
          return engine.firstFactorDone(ctx, s, { accountId: outcome.accountId, amr: outcome.amr, password: input.password ?? '', method: method.id });
        }
        throw new FlowError({ code: 'session.method_unavailable' }, 400);
      });
    },
  };
}
