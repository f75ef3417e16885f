// Step `mfa_challenge`: prove a registered method, or "Try another method".
//   POST /interaction/:uid/mfa          verify the method being challenged
//   POST /interaction/:uid/mfa/switch   challenge another available method
import { z } from 'zod';
import type { LoginStep } from '../step.ts';
import { interactionPath, stepPage } from '../page.ts';
import { field, flowOf, form, formOf, loadFlow, requireStep, stringFields } from '../pipeline.ts';

const switchForm = z.object({ kind: field() });

export function createMfaChallengeStep(): LoginStep {
  return {
    step: 'mfa_challenge',
    async render(ctx, s, engine) {
      const { interaction, flow } = s;
      const c = await engine.mfaContext(ctx, s, { clientName: true });
      const strategy = engine.methods.mfa(flow.mfaKind) ?? engine.methods.secondFactors[0];
      const before = JSON.stringify(flow.private);
      const view = await strategy.prepareChallenge(c);
      if (JSON.stringify(flow.private) !== before) await engine.save(s); // a new challenge was stored
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
        if (strategy && (await strategy.available(await engine.mfaContext(ctx, s)))) {
          s.flow.mfaKind = strategy.kind;
          s.flow.messages = [];
          await engine.save(s);
        }
        return engine.showStep(ctx, s);
      });
    },
  };
}
