// The "Create an account" page (reachable from the sign-in page), its captcha challenge endpoint
// and the terms page.
//   GET  /signup           the form
//   GET  /signup/captcha   a new ALTCHA challenge (JSON) for the widget
//   POST /signup           captcha, terms and the sign-up rules; creates the account + root organization
//   GET  /terms            the terms of service
// The widget's files are served from /static/vendor (views/vendor.ts).
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Captcha } from '../../accounts/captcha.ts';
import { attempt, type RuleViolation, violation } from '../../accounts/errors.ts';
import { signUpViolations, type createSignUp, type SignUpInput } from '../../accounts/sign-up.ts';
import { assertSameOrigin, errorMessages, fieldMessages, formInput, page, requestInfo, throttleRefusal } from './http.ts';
import type { ThrottlePolicy } from '../../accounts/throttle.ts';
import type { JourneyReturn } from '../journey-return.ts';
import { currentLanguage } from '../../views/language.ts';

const TERMS_REQUIRED: RuleViolation = violation('terms', 'terms.required');
const CAPTCHA_FAILED: RuleViolation = {
  field: 'captcha',
  code: 'captcha.failed',
  message: 'Complete the captcha ("I\'m not a robot") and wait until it is verified, then try again.',
};

export function createSignUpRoutes(deps: { signUp: ReturnType<typeof createSignUp>; captcha: Captcha; issuer: string; throttle?: Pick<ThrottlePolicy, 'signUp'>; journeys?: Pick<JourneyReturn, 'resumeUrl' | 'hadReturn'> }) {
  const router = new Router();

  const show = (ctx: Context, model: Record<string, unknown> = {}, status = 200) =>
    page(ctx, 'sign-up', { title: 'page.title.create_an_account', ...model }, status);

  router.get('/signup', (ctx) => show(ctx));

  router.get('/signup/captcha', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await deps.captcha.challenge();
  });

  router.post('/signup', async (ctx) => {
    assertSameOrigin(ctx, deps.issuer);
    const input = formInput(ctx.request.body, 300);
    const signUp: SignUpInput = {
      email: (input.email ?? '').trim(),
      username: (input.username ?? '').trim(),
      phoneNumber: input.phoneNumber ?? '',
      password: input.password ?? '',
      company: (input.company ?? '').trim(),
      language: currentLanguage(),
    };
    // What the person typed comes back on errors, never the password.
    const form = { email: signUp.email, username: signUp.username, phoneNumber: input.phoneNumber ?? '', company: signUp.company, terms: input.terms === 'accepted' };
    const captchaSolved = await deps.captcha.verify(formInput(ctx.request.body).altcha);
    const violations = signUpViolations(signUp);
    if (!form.terms) violations.push(TERMS_REQUIRED);
    if (!captchaSolved) violations.push(CAPTCHA_FAILED);
    // Without a solved captcha nothing touches the database (no "username is taken" probing).
    if (violations.length > 0) return show(ctx, { form, errors: fieldMessages(violations) }, 400);
    // Counted once the form is complete and the captcha solved: per IP and per email address.
    const refused = deps.throttle ? await throttleRefusal(ctx, () => deps.throttle!.signUp(signUp.email, requestInfo(ctx))) : undefined;
    if (refused) return show(ctx, { form, messages: refused }, 429);
    const created = await attempt(() => deps.signUp(signUp, requestInfo(ctx)));
    if (!created.ok) return show(ctx, { form, ...errorMessages(created.error) }, created.error.status);
    const { account, organization } = created.value;
    // Started from an app's sign-in page: back to it, where MFA set-up comes next (journey-return.ts).
    const expired = deps.journeys?.hadReturn(ctx) ?? false;
    const resume = await deps.journeys?.resumeUrl(ctx, account.id, 'sign_up');
    if (resume) {
      ctx.status = 303;
      return ctx.redirect(resume);
    }
    page(ctx, 'signed-up', { title: 'page.title.account_created', username: account.username, organization: organization.name, returnExpired: expired }, 201);
  });

  router.get('/terms', (ctx) => page(ctx, 'terms', { title: 'page.title.terms_of_service' }));

  return router;
}
