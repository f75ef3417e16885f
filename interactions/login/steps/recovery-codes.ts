// Step `recovery_codes`: shown once after the first method is registered, then "Done"
// (POST /interaction/:uid/continue, the engine's "continue" outcome: login-routes.ts).
import type { LoginStep } from '../step.ts';
import { interactionPath, stepPage } from '../page.ts';

export function createRecoveryCodesStep(): LoginStep {
  return {
    step: 'recovery_codes',
    async render(ctx, s, engine) {
      const codes = s.flow.recoveryCodes ?? [];
      delete s.flow.recoveryCodes; // shown once
      await engine.save(s);
      stepPage(ctx, s, 'recovery-codes', {
        title: 'page.title.save_your_recovery_codes',
        codes,
        action: interactionPath(s.interaction.uid, '/continue'),
      });
    },
  };
}
