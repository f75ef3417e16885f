// Back from a self-service journey to the sign-in it started from (interactions/journey-return.ts):
//   GET /interaction/:uid/resume?ticket=…
// checks the signed ticket against this interaction (whose cookie proves it is the same browser), then:
// after sign-up (or an invitation's new account) the password just chosen is the first factor and the
// flow goes on to MFA set-up like any first sign-in; after a password reset the sign-in page asks for
// the new password, the username filled in. A sign-in that ended meanwhile falls back to the profile.
import type { Context } from 'koa';
import type { AccountStore } from '../../../accounts/account.ts';
import type { JourneyReturn } from '../../journey-return.ts';
import type { LoadedFlow } from '../engine.ts';
import type { LoginStep } from '../step.ts';

export function createResumeJourneyStep(deps: { journeys: Pick<JourneyReturn, 'verify'>; accounts: Pick<AccountStore, 'findById'> }): LoginStep {
  return {
    routes(router, engine) {
      router.get('/:uid/resume', async (ctx: Context) => {
        let s: LoadedFlow;
        try {
          s = await engine.load(ctx);
        } catch {
          ctx.status = 303;
          return ctx.redirect('/account'); // the sign-in is gone (expired, finished, another browser)
        }
        const ticket = deps.journeys.verify(ctx.query.ticket, s.interaction.uid);
        const account = ticket ? await deps.accounts.findById(ticket.accountId) : undefined;
        if (!ticket || !account || s.flow.step !== 'credentials') return engine.showStep(ctx, s);
        if (ticket.journey === 'sign_up') {
          return engine.firstFactorDone(ctx, s, { accountId: account.id, amr: ['pwd'], method: 'password' });
        }
        s.flow.form = { username: account.username };
        s.flow.messages = [{ code: 'password.reset_continue', level: 'info' }];
        await engine.save(s);
        return engine.showStep(ctx, s);
      });
    },
  };
}
