// Step `verify_email`: the post-login prompt for a local account with an unverified address.
//   POST /interaction/:uid/verify-email/send      "Verify Email" / "Send a new code"
//   POST /interaction/:uid/verify-email/confirm   "Confirm"
//   POST /interaction/:uid/continue                "Continue for now" (the engine's "continue" outcome: login-routes.ts)
import { z } from 'zod';
import type { LoginStep } from '../step.ts';
import { interactionPath, stepPage } from '../page.ts';
import { field, flowOf, form, formOf, loadFlow, requireStep } from '../pipeline.ts';

const confirmForm = z.object({ code: field() });

export function createVerifyEmailStep(): LoginStep {
  return {
    step: 'verify_email',
    async render(ctx, s, engine) {
      const account = await engine.loadAccount(ctx, s.flow);
      const uid = s.interaction.uid;
      stepPage(ctx, s, 'verify-email-prompt', {
        title: 'page.title.verify_your_email',
        email: account.email,
        codeSent: s.flow.emailCodeSent,
        sendAction: interactionPath(uid, '/verify-email/send'),
        confirmAction: interactionPath(uid, '/verify-email/confirm'),
        continueAction: interactionPath(uid, '/continue'),
      });
    },
    routes(router, engine) {
      const verification = () => {
        if (!engine.emailVerification) throw new Error('verify_email step without email verification');
        return engine.emailVerification;
      };

      router.post('/:uid/verify-email/send', loadFlow(engine), requireStep(engine, 'verify_email'), async (ctx) => {
        const s = flowOf(ctx);
        s.flow.messages = [];
        const { email } = await verification().send(s.flow.accountId!, engine.requestInfo(ctx));
        s.flow.emailCodeSent = true;
        s.flow.messages = [{ code: 'email.code_sent', vars: { email }, level: 'info' }];
        await engine.save(s);
        return engine.render(ctx, s);
      });

      router.post('/:uid/verify-email/confirm', loadFlow(engine), requireStep(engine, 'verify_email'), form(confirmForm), async (ctx) => {
        const s = flowOf(ctx);
        await verification().confirm(s.flow.accountId!, formOf(ctx, confirmForm).code.trim(), engine.requestInfo(ctx));
        engine.advance(s.flow, 'email_verified');
        return engine.proceed(ctx, s);
      });
    },
  };
}
