// Step `mfa_challenge`: prove a registered method, or "Try another method". The method's own
// actions (resend a code, poll a push) are at one route for every method: method-actions.ts.
//   POST /interaction/:uid/mfa                  verify the method being challenged
//   POST /interaction/:uid/mfa/switch           challenge another available method
import { z } from 'zod';
import type { LoginStep } from '../step.ts';
import { interactionPath, stepPage } from '../page.ts';
import { field, flowOf, form, formOf, loadFlow, requireStep, stringFields } from '../pipeline.ts';
import { actionPaths } from './method-actions.ts';
import { challengeOnce } from '../../methods/prepared.ts';

const switchForm = z.object({ kind: field() });

export function createMfaChallengeStep(): LoginStep {
  return {
    step: 'mfa_challenge',
    async render(ctx, s, engine) {
      const { interaction, flow } = s;
      const c = await engine.mfaContext(ctx, s, { clientName: true });
      // The default method, unless it can't be used now (an emailed code to an unverified address): then the first that can.
      let strategy = engine.methods.mfa(flow.mfaKind);
      let switched = false;
      if (!strategy || !(await strategy.available(c))) {
        strategy = undefined;
        for (const m of engine.methods.secondFactors) if (!strategy && (await m.available(c))) strategy = m;
        strategy ??= engine.methods.secondFactors[0];
        if (strategy.kind !== flow.mfaKind) {
          flow.mfaKind = strategy.kind;
          flow.challenge = undefined;
          switched = true; // saved below: the code POST verifies the kind the flow names
        }
      }
      // Once per challenge: when this method is first shown (or switched to), and when its challenge
      // ended (used, expired, answered). A reload shows the same challenge: no second email or push.
      const { view, prepared } = await challengeOnce(strategy, c);
      if (prepared || switched) await engine.save(s);
      const others = [];
      for (const m of engine.methods.secondFactors) if (m.kind !== strategy.kind && (await m.available(c))) others.push({ kind: m.kind, label: m.label });
      stepPage(ctx, s, 'mfa-challenge', {
        ...view,
        title: 'page.title.verify_its_you',
        kind: strategy.kind,
        methodLabel: strategy.label,
        username: c.account.username,
        others,
        action: interactionPath(interaction.uid, '/mfa'),
        switchAction: interactionPath(interaction.uid, '/mfa/switch'),
        methodActions: actionPaths(interaction.uid, strategy),
      });
    },
    routes(router, engine) {
      router.post('/:uid/mfa', loadFlow(engine), requireStep(engine, 'mfa_challenge'), async (ctx) => {
        const s = flowOf(ctx);
        const strategy = engine.methods.mfa(s.flow.mfaKind);
        const c = await engine.mfaContext(ctx, s);
        if (!strategy || !(await strategy.available(c))) return engine.showStep(ctx, s);
        s.flow.messages = [];
        const outcome = await engine.verifyFactor(ctx, s, { kind: strategy.kind, username: c.account.username, account: c.account }, () => strategy.verify(c, stringFields(ctx.request.body)));
        if (outcome.kind === 'pending') {
          s.flow.messages = outcome.message ? [outcome.message] : [];
          await engine.save(s);
          return engine.render(ctx, s);
        }
        engine.addFactor(s.flow, outcome.amr, { mfa: engine.nowSeconds() });
        // The success is audited once, with the whole login (engine.complete): its amr and this method.
        engine.advance(s.flow, 'mfa_verified');
        return engine.proceed(ctx, s);
      });

      router.post('/:uid/mfa/switch', loadFlow(engine), requireStep(engine, 'mfa_challenge'), form(switchForm), async (ctx) => {
        const s = flowOf(ctx);
        const strategy = engine.methods.mfa(formOf(ctx, switchForm).kind);
        // Switching to the method already challenged changes nothing (its code or approval stays the live one).
        if (strategy && strategy.kind !== s.flow.mfaKind && (await strategy.available(await engine.mfaContext(ctx, s)))) {
          s.flow.mfaKind = strategy.kind;
          s.flow.challenge = undefined; // the next page starts this method's challenge
          s.flow.messages = [];
          await engine.save(s);
        }
        return engine.showStep(ctx, s);
      });
    },
  };
}
