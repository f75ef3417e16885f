// The signed-in person's profile at /account. Gatehouse's pages are a first-party OIDC client of
// Gatehouse (interactions/account-session.ts): no second login system. Every POST carries the
// session's CSRF token; email and password changes need a recent authentication first.
//   GET  /account                              Contact Info (name, phone, email + verification state)
//   POST /account/contact                      edit name and phone
//   POST /account/email/verification           send a code to the account's address ("Verify Email")
//   GET  /account/email/verification           enter it; POST …/confirm with "Confirm"
//   GET  /account/email      POST /account/email       new address → code to the NEW address (re-auth)
//   GET  /account/email/confirm  POST …                  "Confirm" → primary, verified; old address notified
//   GET  /account/password   POST /account/password    current + new password (re-auth); other sessions end
//   GET  /account/permissions                  organization, roles and what they permit, "Logged In Via"
import Router from '@koa/router';
import type { Context } from 'koa';
import type { AccountStore, Role } from '../../accounts/account.ts';
import type { EmailChange } from '../../accounts/email-change.ts';
import type { EmailVerification } from '../../accounts/email-verification.ts';
import { attempt, DomainError } from '../../accounts/errors.ts';
import type { ErrorLogger } from '../../accounts/mail-delivery.ts';
import type { PasswordChange } from '../../accounts/password-change.ts';
import { PERMISSION_CODES, ROLE_PERMISSIONS } from '../../accounts/permissions.ts';
import { PASSWORD_HISTORY_DEPTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../accounts/security-constants.ts';
import { contactChanges, type ProfileAccount, type ProfileStore } from '../../accounts/profile.ts';
import type { Message, MessageCode, MessageValue } from '../../accounts/messages/language.ts';
import { isMessageCode } from '../../accounts/messages/catalog.ts';
import type { MethodNames } from '../../accounts/mfa.ts';
import type { AccountSession, SignedInSession } from '../account-session.ts';
import type { Csrf } from '../csrf.ts';
import { errorMessages, formInput, page, pageMessages, requestInfo } from './http.ts';

/** Outcome notices after a redirect: the query carries a code, never user data. */
/** `?done=` notices after a redirect (texts: account.<notice> in the catalog). */
const NOTICES = ['contact_saved', 'email_verified', 'email_changed', 'password_changed'] as const;

/** The new-password hint's numbers, from the rules themselves. */
const PASSWORD_RULES = { min: PASSWORD_MIN_LENGTH, max: PASSWORD_MAX_LENGTH, previous: PASSWORD_HISTORY_DEPTH };

const ROLE_LABELS: Record<Role, MessageCode> = { owner: 'role.owner', admin: 'role.admin', member: 'role.member' };

/** A second factor as "Logged In Via" says it, when only amr tells (catalog codes). */
const AMR_TEXT: Record<string, MessageCode> = {
  otp: 'page.account_permissions.method.totp',
  hwk: 'page.account_permissions.method.security_key',
  swk: 'page.account_permissions.amr.swk',
};

export function createAccountRoutes(deps: {
  session: AccountSession;
  csrf: Csrf;
  profiles: ProfileStore;
  accounts: AccountStore;
  verification: EmailVerification;
  emailChange: EmailChange;
  passwordChange: PasswordChange;
  logger?: ErrorLogger;
  /** Federation's "Logged In Via" section (linked profiles, unlink, link a profile); absent → how this session signed in only. */
  linkedProfiles?: (ctx: Context, s: SignedInSession) => Promise<Record<string, unknown>>;
  /** How each MFA kind is described (the method registry); without it, from amr alone. */
  methodNames?: Pick<MethodNames, 'describe'>;
}) {
  const router = new Router({ prefix: '/account' });
  const { session, csrf, profiles } = deps;

  const notice = (ctx: Context): Message[] => {
    const code = typeof ctx.query.done === 'string' ? ctx.query.done : '';
    const known = NOTICES.find((n) => n === code);
    return known ? [{ code: `account.${known}`, level: 'info' }] : [];
  };
  const back = (ctx: Context, path: string, done?: string) => {
    ctx.status = 303;
    ctx.redirect(done ? `${path}?done=${done}` : path);
  };

  /** Signed in (recently, when `recent`), and for POSTs carrying this session's CSRF token. */
  async function guard(ctx: Context, options: { recent?: boolean } = {}): Promise<SignedInSession | null> {
    const s = options.recent ? await session.requireRecentAuthentication(ctx) : await session.requireSignIn(ctx);
    if (!s) return null;
    if (ctx.method === 'POST') csrf.check(s.sessionUid, formInput(ctx.request.body).csrf);
    return s;
  }

  async function profileOf(s: SignedInSession): Promise<ProfileAccount> {
    const account = await profiles.find(s.accountId);
    if (!account) throw new DomainError('account.not_found', { status: 404 });
    return account;
  }

  async function contactPage(ctx: Context, s: SignedInSession, model: Record<string, unknown> = {}, status = 200) {
    const account = await profileOf(s);
    page(ctx, 'account-contact', {
      title: 'page.title.your_profile',
      account,
      csrf: csrf.tokenFor(s.sessionUid),
      form: { name: account.name ?? '', phoneNumber: account.phoneNumber ?? '' },
      messages: notice(ctx),
      ...model,
    }, status);
  }

  /** Runs a profile change: its coded refusal lands back on the page with its message (mail failures logged), the rest propagate. */
  async function refusalOf(action: () => Promise<unknown>): Promise<DomainError | undefined> {
    const result = await attempt(action);
    if (result.ok) return undefined;
    if (result.error.code === 'mail.send_failed') deps.logger?.error({ err: (result.error as { reason?: unknown }).reason }, 'profile email not sent');
    return result.error;
  }

  router.get('/', async (ctx) => {
    const s = await guard(ctx);
    if (s) await contactPage(ctx, s);
  });

  router.get('/contact', (ctx) => back(ctx, '/account'));
  router.post('/contact', async (ctx) => {
    const s = await guard(ctx);
    if (!s) return;
    const input = formInput(ctx.request.body, 300);
    const err = await refusalOf(() => profiles.updateContact(s.accountId, contactChanges({ name: input.name, phoneNumber: input.phoneNumber })));
    if (err) return contactPage(ctx, s, { form: { name: input.name ?? '', phoneNumber: input.phoneNumber ?? '' }, ...errorMessages(err) }, err.status);
    back(ctx, '/account', 'contact_saved');
  });

  // --- Verify the account's email ---
  const verifyPage = async (ctx: Context, s: SignedInSession, model: Record<string, unknown> = {}, status = 200) => {
    page(ctx, 'account-email-code', {
      title: 'page.title.verify_your_email',
      csrf: csrf.tokenFor(s.sessionUid),
      email: await deps.verification.pending(s.accountId),
      confirmAction: '/account/email/verification/confirm',
      resendAction: '/account/email/verification',
      ...model,
    }, status);
  };

  router.post('/email/verification', async (ctx) => {
    const s = await guard(ctx);
    if (!s) return;
    const err = await refusalOf(() => deps.verification.send(s.accountId, requestInfo(ctx)));
    if (err) {
      if (err.code === 'email.already_verified') return back(ctx, '/account');
      return contactPage(ctx, s, { messages: pageMessages(err) }, err.status);
    }
    back(ctx, '/account/email/verification');
  });

  router.get('/email/verification', async (ctx) => {
    const s = await guard(ctx);
    if (!s) return;
    if (!(await deps.verification.pending(s.accountId))) return back(ctx, '/account');
    await verifyPage(ctx, s);
  });

  router.get('/email/verification/confirm', (ctx) => back(ctx, '/account/email/verification'));
  router.post('/email/verification/confirm', async (ctx) => {
    const s = await guard(ctx);
    if (!s) return;
    const err = await refusalOf(() => deps.verification.confirm(s.accountId, formInput(ctx.request.body, 50).code ?? '', requestInfo(ctx)));
    if (err) return verifyPage(ctx, s, errorMessages(err), 400);
    back(ctx, '/account', 'email_verified');
  });

  // --- Change the email (re-authentication first) ---
  const emailPage = async (ctx: Context, s: SignedInSession, model: Record<string, unknown> = {}, status = 200) => {
    const account = await profileOf(s);
    page(ctx, 'account-email', {
      title: 'page.title.change_your_email_address',
      csrf: csrf.tokenFor(s.sessionUid),
      sso: account.sso,
      currentEmail: account.email,
      ...model,
    }, status);
  };

  router.get('/email', async (ctx) => {
    const s = await guard(ctx, { recent: true });
    if (s) await emailPage(ctx, s);
  });

  router.post('/email', async (ctx) => {
    const s = await guard(ctx, { recent: true });
    if (!s) return;
    const typed = (formInput(ctx.request.body, 300).email ?? '').trim();
    const err = await refusalOf(() => deps.emailChange.request(s.accountId, typed, requestInfo(ctx)));
    if (err) return emailPage(ctx, s, { form: { email: typed }, ...errorMessages(err) }, err.status);
    back(ctx, '/account/email/confirm');
  });

  const confirmPage = async (ctx: Context, s: SignedInSession, email: string, model: Record<string, unknown> = {}, status = 200) =>
    page(ctx, 'account-email-code', {
      title: 'page.title.confirm_your_new_email_address',
      csrf: csrf.tokenFor(s.sessionUid),
      email,
      confirmAction: '/account/email/confirm',
      ...model,
    }, status);

  router.get('/email/confirm', async (ctx) => {
    const s = await guard(ctx, { recent: true });
    if (!s) return;
    const email = await deps.emailChange.pending(s.accountId);
    if (!email) return back(ctx, '/account/email');
    await confirmPage(ctx, s, email);
  });

  router.post('/email/confirm', async (ctx) => {
    const s = await guard(ctx, { recent: true });
    if (!s) return;
    const err = await refusalOf(() => deps.emailChange.confirm(s.accountId, formInput(ctx.request.body, 50).code ?? '', requestInfo(ctx)));
    if (err) {
      const email = await deps.emailChange.pending(s.accountId);
      if (!email) return emailPage(ctx, s, { messages: pageMessages(err) }, err.status);
      return confirmPage(ctx, s, email, errorMessages(err), 400);
    }
    back(ctx, '/account', 'email_changed');
  });

  // --- Change password (re-authentication first) ---
  const passwordPage = async (ctx: Context, s: SignedInSession, model: Record<string, unknown> = {}, status = 200) => {
    const account = await profileOf(s);
    page(ctx, 'account-password', {
      title: 'page.title.change_password',
      csrf: csrf.tokenFor(s.sessionUid),
      sso: account.sso,
      username: account.username,
      passwordRules: PASSWORD_RULES,
      messages: notice(ctx),
      ...model,
    }, status);
  };

  router.get('/password', async (ctx) => {
    const s = await guard(ctx, { recent: true });
    if (s) await passwordPage(ctx, s);
  });

  router.post('/password', async (ctx) => {
    const s = await guard(ctx, { recent: true });
    if (!s) return;
    const input = formInput(ctx.request.body, 300);
    const err = await refusalOf(() =>
      deps.passwordChange.change(
        s.accountId,
        { currentPassword: input.currentPassword ?? '', newPassword: input.newPassword ?? '' },
        { ...requestInfo(ctx), keepSessionUid: s.sessionUid },
      ),
    );
    if (err) return passwordPage(ctx, s, errorMessages(err), err.status);
    back(ctx, '/account/password', 'password_changed');
  });

  // --- Permissions ---
  router.get('/permissions', async (ctx) => {
    const s = await guard(ctx);
    if (!s) return;
    const account = await deps.accounts.findById(s.accountId);
    if (!account) throw new DomainError('account.not_found', { status: 404 });
    const roles = [...new Set(account.roles)].map((role) => ({
      id: role,
      label: Object.hasOwn(ROLE_LABELS, role) ? ROLE_LABELS[role] : role,
      permissions: (ROLE_PERMISSIONS[role] ?? []).map((p) => ({ id: p, label: PERMISSION_CODES[p] })),
    }));
    const organization = account.organization
      ? { id: account.organization.id, name: account.organization.name, domain: (account.organization as { domain?: string | null }).domain ?? null }
      : null;
    const linked = deps.linkedProfiles ? await deps.linkedProfiles(ctx, s) : {};
    page(ctx, 'account-permissions', { title: 'page.title.permissions', csrf: csrf.tokenFor(s.sessionUid), organization, roles, loggedInVia: loggedInVia(s.amr, s.mfaMethod, deps.methodNames), ...linked });
  });

  return router;
}

/**
 * "Logged In Via": how this session signed in, as a catalog message (the page words it in the
 * reader's language). The MFA method says it in its own words (page.account_permissions.method.<kind>,
 * else the registry's describe()); amr alone can't tell two `otp` methods apart, so it is only the fallback.
 */
export function loggedInVia(amr: string[], mfaMethod?: string | null, names?: Pick<MethodNames, 'describe'>): Message {
  if (!amr.includes('pwd')) return { code: 'page.account_permissions.via_sso' };
  if (mfaMethod && names && amr.includes('mfa')) {
    const code = `page.account_permissions.method.${mfaMethod}`;
    const method: MessageValue = isMessageCode(code) ? { code } : names.describe(mfaMethod);
    return { code: 'page.account_permissions.via_password_with', vars: { method } };
  }
  const second = [...new Set(amr.filter((v) => v !== 'pwd' && v !== 'mfa' && v !== 'user'))].map((v): MessageValue => (Object.hasOwn(AMR_TEXT, v) ? { code: AMR_TEXT[v]! } : v));
  if (second.length === 0) return { code: 'page.account_permissions.via_password' };
  if (second.length === 1) return { code: 'page.account_permissions.via_password_with', vars: { method: second[0]! } };
  // One second factor per sign-in: two amr factors at most (a second factor's amr is one value beside `user`).
  return { code: 'page.account_permissions.via_password_with_two', vars: { first: second[0]!, second: second[1]! } };
}
