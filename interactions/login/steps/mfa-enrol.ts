// Step `mfa_enrol`: an account without a method registers one before it gets in. Choose a kind
// (empty → back to the chooser), then complete that method's own enrolment.
//   POST /interaction/:uid/enrol/choose
//   POST /interaction/:uid/enrol
import { z } from 'zod';
import type { MfaManagement } from '../../../accounts/mfa-management.ts';
import type { MfaStore } from '../../../accounts/mfa.ts';
import { generateRecoveryCodes } from '../../../accounts/recovery-codes.ts';
import { enrolmentRefusal } from '../../../accounts/mfa-policy.ts';
import type { MfaContext } from '../../methods/method.ts';
import type { LoginEngine } from '../engine.ts';
import type { LoginStep } from '../step.ts';
import { actionPaths } from './method-actions.ts';
import { enrolmentOnce } from '../../methods/prepared.ts';
import { interactionPath, stepPage } from '../page.ts';
import { field, flowOf, form, formOf, loadFlow, requireStep, stringFields } from '../pipeline.ts';

const chooseForm = z.object({ kind: field() });
const enrolForm = z.object({ name: field() });

/**
 * The kinds this account may register now. Local accounts reset their password by email, so an
 * inbox method (an emailed code) only beside another method (accounts/mfa-policy.ts).
 */
function enrollable(methods: LoginEngine['methods'], c: MfaContext) {
  const existing = c.methods.map((m) => methods.names.traits(m.kind));
  return methods.enrollable().filter((m) => !enrolmentRefusal(methods.names.traits(m.kind), existing, true));
}

export function createMfaEnrolStep(deps: {
  mfa: MfaStore;
  recoveryDigest: (code: string) => string;
  /** Records (audit + email notice) a method registered during sign-in. */
  mfaChanges: Pick<MfaManagement, 'added'>;
}): LoginStep {
  return {
    step: 'mfa_enrol',
    async render(ctx, s, engine) {
      const { interaction, flow } = s;
      const chooseAction = interactionPath(interaction.uid, '/enrol/choose');
      const c = await engine.mfaContext(ctx, s);
      const strategy = enrollable(engine.methods, c).find((m) => m.kind === flow.enrolKind);
      if (!strategy?.enrolment) {
        return stepPage(ctx, s, 'mfa-enrol-choose', {
          title: 'page.title.set_up_multi_factor_authentication',
          chooseAction,
          kinds: enrollable(engine.methods, c).map((m) => ({ kind: m.kind, label: m.label })),
        });
      }
      // Once per set-up: a reload or a wrong code shows the same seed, code or options.
      const { view, prepared } = await enrolmentOnce(strategy.enrolment, c);
      if (prepared) await engine.save(s);
      stepPage(ctx, s, 'mfa-enrol', {
        ...view,
        title: 'page.title.set_up_method',
        titleVars: { method: { code: `mfa.kind.${strategy.kind}` } },
        kind: strategy.kind,
        name: flow.form.name,
        chooseAction,
        action: interactionPath(interaction.uid, '/enrol'),
        methodActions: actionPaths(interaction.uid, strategy),
      });
    },
    routes(router, engine) {
      router.post('/:uid/enrol/choose', loadFlow(engine), requireStep(engine, 'mfa_enrol'), form(chooseForm), async (ctx) => {
        const s = flowOf(ctx);
        const { kind } = formOf(ctx, chooseForm);
        s.flow.enrolKind = enrollable(engine.methods, await engine.mfaContext(ctx, s)).some((m) => m.kind === kind) ? kind : undefined;
        s.flow.messages = [];
        await engine.save(s);
        return engine.showStep(ctx, s);
      });

      router.post('/:uid/enrol', loadFlow(engine), requireStep(engine, 'mfa_enrol'), form(enrolForm), async (ctx) => {
        const s = flowOf(ctx);
        const c = await engine.mfaContext(ctx, s);
        const strategy = enrollable(engine.methods, c).find((m) => m.kind === s.flow.enrolKind);
        if (!strategy?.enrolment) return engine.showStep(ctx, s);
        s.flow.messages = [];
        s.flow.form = { ...s.flow.form, name: formOf(ctx, enrolForm).name.slice(0, 60) };
        const outcome = await engine.verifyFactor(ctx, s, { kind: strategy.kind }, () => strategy.enrolment!.complete(c, stringFields(ctx.request.body)));
        // Audited and emailed like any change to the person's methods.
        await deps.mfaChanges.added(outcome.method, { actor: c.account.id, ...engine.requestInfo(ctx) });
        // Registering a method proves possession of it, as a challenge would.
        engine.addFactor(s.flow, ['mfa', ...strategy.amr], { mfa: engine.nowSeconds() });
        if (c.methods.length === 0) {
          // First method: issue recovery codes now and show them once.
          const codes = generateRecoveryCodes();
          await deps.mfa.replaceRecoveryCodes(c.account.id, codes.map(deps.recoveryDigest));
          s.flow.recoveryCodes = codes;
          engine.advance(s.flow, 'enrolled_first');
        } else {
          engine.advance(s.flow, 'enrolled');
        }
        return engine.proceed(ctx, s);
      });
    },
  };
}
