// Composition of the self-service features (issue 4): sign-up, email verification and change,
// forgotten credentials, password reset and change, the profile. app.ts calls the two functions
// below: the services first (the sign-in flow uses email verification), the routes once the
// account session and CSRF exist.
import { hkdfSync } from 'node:crypto';
import type { Knex } from 'knex';
import type { AccountStore } from '../accounts/account.ts';
import type { AuditLog } from '../accounts/audit.ts';
import { createCaptcha, type CaptchaDifficulty } from '../accounts/captcha.ts';
import { createEmailChange } from '../accounts/email-change.ts';
import { createEmailCodes } from '../accounts/email-codes.ts';
import type { EmailMessages } from '../accounts/email-messages.ts';
import { createEmailVerification } from '../accounts/email-verification.ts';
import { createForgotCredentials } from '../accounts/forgot-credentials.ts';
import type { Mailer } from '../accounts/mailer.ts';
import { createPasswordChange } from '../accounts/password-change.ts';
import type { PasswordHasher } from '../accounts/password-hasher.ts';
import { createPasswordReset } from '../accounts/password-reset.ts';
import { createPasswordUpdate } from '../accounts/password-update.ts';
import type { SessionRevoker } from '../accounts/session-revocation.ts';
import type { ThrottlePolicy } from '../accounts/throttle.ts';
import { createSignUp } from '../accounts/sign-up.ts';
import { createKnexCaptchaStore } from '../adapters/captcha-store.ts';
import { createKnexEmailCodeStore } from '../adapters/email-code-store.ts';
import { createKnexPasswordStore } from '../adapters/password-store.ts';
import { createKnexProfileStore } from '../adapters/profile-store.ts';
import { createKnexResetTokenStore } from '../adapters/reset-token-store.ts';
import type { Context } from 'koa';
import type { JourneyReturn } from '../interactions/journey-return.ts';
import type { AccountSession, SignedInSession } from '../interactions/account-session.ts';
import type { Csrf } from '../interactions/csrf.ts';
import type { MethodNames } from '../accounts/mfa.ts';
import type { SignInLink } from '../interactions/login/steps/credentials.ts';
import { createAccountRoutes } from '../interactions/self-service/account-routes.ts';
import { createBackgroundJobs } from '../interactions/self-service/background.ts';
import { createForgotRoutes } from '../interactions/self-service/forgot-routes.ts';
import { createSignUpRoutes } from '../interactions/self-service/sign-up-routes.ts';
import type { Logger } from './logger.ts';

/** The links under the sign-in form (reference wording). */
export const SIGN_IN_LINKS: SignInLink[] = [
  // ":uid" names the sign-in, so the journey can return to it (interactions/journey-return.ts).
  { id: 'sign-up', text: 'page.sign_in.create_account', href: '/signup?interaction=:uid' },
  { id: 'forgot', text: 'page.sign_in.forgot', href: '/forgot?interaction=:uid' },
];

const derive = (kek: Buffer, info: string) => Buffer.from(hkdfSync('sha256', kek, '', info, 32));

export function createSelfServiceServices(deps: {
  knex: Knex;
  accounts: AccountStore;
  hasher: PasswordHasher;
  mailer: Mailer;
  messages: EmailMessages;
  audit: AuditLog;
  revoker: SessionRevoker;
  issuer: string;
  kek: Buffer;
  logger: Logger;
  clock?: () => number;
  captchaDifficulty?: CaptchaDifficulty;
  throttle?: ThrottlePolicy;
}) {
  const { knex, mailer, messages, audit, issuer, logger, clock } = deps;
  const profiles = createKnexProfileStore(knex);
  const passwords = createKnexPasswordStore(knex);
  const tokens = createKnexResetTokenStore(knex);
  // Codes are HMACed under a key derived from the KEK: a database copy alone can't brute-force 10^6 codes.
  const codes = createEmailCodes({ store: createKnexEmailCodeStore(knex), secret: derive(deps.kek, 'gatehouse email codes'), throttle: deps.throttle?.emailCodes, clock });
  const update = createPasswordUpdate({ passwords, hasher: deps.hasher });
  const emailVerification = createEmailVerification({ profiles, codes, mailer, messages, audit, logger });
  const emailChange = createEmailChange({ profiles, codes, mailer, messages, audit, issuer, logger });
  const passwordReset = createPasswordReset({ profiles, passwords, tokens, update, revoker: deps.revoker, mailer, messages, audit, issuer, clock, logger });
  const passwordChange = createPasswordChange({
    profiles,
    passwords,
    tokens,
    hasher: deps.hasher,
    update,
    revoker: deps.revoker,
    mailer,
    messages,
    audit,
    issuer,
    clock,
    logger,
  });
  const forgot = createForgotCredentials({ profiles, reset: passwordReset, mailer, messages, audit, issuer, logger });
  const captcha = createCaptcha({ secret: derive(deps.kek, 'gatehouse captcha'), spent: createKnexCaptchaStore(knex), difficulty: deps.captchaDifficulty, clock });
  const signUp = createSignUp({ accounts: deps.accounts, hasher: deps.hasher, audit });
  /** Work done after responding (forgotten credentials); close() waits for it. */
  const jobs = createBackgroundJobs(logger);
  return { profiles, emailVerification, emailChange, passwordReset, passwordChange, forgot, captcha, signUp, jobs, throttle: deps.throttle };
}

export type SelfServiceServices = ReturnType<typeof createSelfServiceServices>;

export function createSelfServiceRoutes(
  services: SelfServiceServices,
  deps: {
    session: AccountSession;
    csrf: Csrf;
    accounts: AccountStore;
    mailer: Mailer;
    issuer: string;
    logger: Logger;
    /** Federation's "Logged In Via" section of the permissions page. */
    linkedProfiles?: (ctx: Context, s: SignedInSession) => Promise<Record<string, unknown>>;
    /** Sign-up and reset return to the app's sign-in they started from. */
    journeys?: JourneyReturn;
    /** How each MFA kind is described in "Logged In Via" (the method registry). */
    methodNames?: Pick<MethodNames, 'describe'>;
  },
) {
  return [
    createSignUpRoutes({ signUp: services.signUp, captcha: services.captcha, issuer: deps.issuer, throttle: services.throttle, journeys: deps.journeys }),
    createForgotRoutes({ forgot: services.forgot, reset: services.passwordReset, mailer: deps.mailer, jobs: services.jobs, issuer: deps.issuer, logger: deps.logger, throttle: services.throttle, journeys: deps.journeys }),
    createAccountRoutes({
      session: deps.session,
      csrf: deps.csrf,
      profiles: services.profiles,
      accounts: deps.accounts,
      verification: services.emailVerification,
      emailChange: services.emailChange,
      passwordChange: services.passwordChange,
      logger: deps.logger,
      linkedProfiles: deps.linkedProfiles,
      methodNames: deps.methodNames,
    }),
  ];
}
