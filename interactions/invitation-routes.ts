// The pages behind an invitation link (reference: "Join an Existing Organization", "Use an Existing
// Account", known issue): the account chooser with "!" marks, the sign-up form with the company
// preset and the email fixed, and joining with an existing account after signing in with it.
// The link's token authorizes the anonymous sign-up form; joining also needs the session's CSRF token.
import Router from '@koa/router';
import type { Context } from 'koa';
import { attempt, ValidationError, violationMessage } from '../accounts/errors.ts';
import type { InvitationService, JoinPreview, OpenedInvitation } from '../accounts/invitations.ts';
import { currentLanguage } from '../views/language.ts';
import { render } from '../views/render.ts';
import type { Message } from '../accounts/messages/language.ts';
import type { AccountSession } from './account-session.ts';
import type { Csrf } from './csrf.ts';
import { ThrottledError, type ThrottlePolicy } from '../accounts/throttle.ts';
import type { JourneyReturn } from './journey-return.ts';

type FieldErrors = Record<string, Message[]>;

const formOf = (ctx: Context): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((ctx.request.body as object) ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
};

export function createInvitationRoutes(deps: {
  invitations: InvitationService;
  session: AccountSession;
  csrf: Csrf;
  /** Unusable links per IP (accounts/throttle.ts): stops scanning for tokens. */
  throttle?: ThrottlePolicy['invitation'];
  /** Invitations accepted with a new account return to the app's sign-in they started from. */
  journeys?: Pick<JourneyReturn, 'resumeUrl'>;
}) {
  const { invitations, session, csrf } = deps;
  const router = new Router({ prefix: '/invitations' });
  const request = (ctx: Context) => ({ ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined });

  function page(ctx: Context, template: string, model: Record<string, unknown>, status = 200) {
    ctx.status = status;
    ctx.type = 'html';
    // The token is in the path: never send it on to another site.
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.body = render(template, model);
  }

  /** The invitation, or an explanation page (expired, used, withdrawn, unknown) and undefined. */
  async function usableOrExplain(ctx: Context, token: string): Promise<OpenedInvitation | undefined> {
    const opened = await attempt(async () => {
      await deps.throttle?.check(ctx.ip);
      return invitations.usable(token);
    });
    if (opened.ok) return opened.value;
    const err = opened.error;
    if (err instanceof ThrottledError) ctx.set('Retry-After', String(err.retryAfterSeconds));
    else await deps.throttle?.failed(ctx.ip);
    page(ctx, 'invitation-unusable', {
      title: err.code === 'invitation.expired' ? 'page.title.this_invitation_has_expired' : 'page.title.this_invitation_cannot_be_used',
      messages: [err.toMessage()],
    }, err.status);
    return undefined;
  }

  function renderSignUp(ctx: Context, opened: OpenedInvitation, token: string, form: Record<string, string>, errors: FieldErrors, messages: Message[] = [], status = 200) {
    page(ctx, 'invitation-sign-up', {
      title: 'page.title.join', titleVars: { organization: opened.organization.name },
      messages,
      organization: opened.organization.name,
      group: opened.group.id !== opened.organization.id ? opened.group.name : null,
      email: opened.invitation.email,
      form,
      errors,
      action: `/invitations/${token}`,
      moveHref: form.username ? `/invitations/${token}/join?as=${encodeURIComponent(form.username)}` : null,
      chooserHref: `/invitations/${token}`,
    }, status);
  }

  router.get('/:token', async (ctx) => {
    const token = ctx.params.token;
    const opened = await usableOrExplain(ctx, token);
    if (!opened) return;
    const candidates = ctx.query.new === '1' ? [] : await invitations.candidates(token);
    if (candidates.length === 0) return renderSignUp(ctx, opened, token, {}, {});
    page(ctx, 'invitation-choose', {
      title: 'page.title.join', titleVars: { organization: opened.organization.name },
      organization: opened.organization.name,
      email: opened.invitation.email,
      candidates: candidates.map((c) => ({ ...c, href: `/invitations/${token}/join?as=${encodeURIComponent(c.username)}` })),
      newHref: `/invitations/${token}?new=1`,
    });
  });

  // "Accept and create account in <org>".
  router.post('/:token', async (ctx) => {
    const token = ctx.params.token;
    const opened = await usableOrExplain(ctx, token);
    if (!opened) return;
    const form = formOf(ctx);
    const echo = { username: (form.username ?? '').slice(0, 100), name: (form.name ?? '').slice(0, 200), phoneNumber: (form.phoneNumber ?? '').slice(0, 32), terms: form.terms ?? '' };
    if (form.terms !== 'accepted') {
      return renderSignUp(ctx, opened, token, echo, { terms: [{ code: 'terms.required' }] }, [], 400);
    }
    const accepted = await attempt(() => invitations.acceptWithNewAccount(token, {
      // The address is fixed by the invitation; a different one is refused, not silently replaced.
      email: form.email ?? opened.invitation.email,
      username: form.username ?? '',
      password: form.password ?? '',
      name: form.name || null,
      phoneNumber: form.phoneNumber ?? '',
      language: currentLanguage(),
    }, request(ctx)));
    if (!accepted.ok) {
      const err = accepted.error;
      if (err instanceof ValidationError) {
        const errors: FieldErrors = {};
        for (const v of err.violations) (errors[v.field] ??= []).push(violationMessage(v));
        return renderSignUp(ctx, opened, token, echo, errors, [], 400);
      }
      if (err.code === 'username.taken') {
        // Known issue fixed: say plainly that the username is taken, and offer to move it if it is theirs.
        return renderSignUp(ctx, opened, token, echo, { username: [{ code: 'username.taken' }] }, [], 409);
      }
      if (err.code.startsWith('invitation.')) {
        return page(ctx, 'invitation-unusable', { title: 'page.title.this_invitation_cannot_be_used', messages: [err.toMessage()] }, err.status);
      }
      throw err;
    }
    const { account } = accepted.value;
    // Started from an app's sign-in page: back to it as the new account (MFA set-up comes next).
    const resume = await deps.journeys?.resumeUrl(ctx, account.id, 'sign_up');
    if (resume) {
      ctx.status = 303;
      return ctx.redirect(resume);
    }
    page(ctx, 'invitation-joined', {
      title: 'page.title.welcome', titleVars: { organization: opened.organization.name },
      messages: [{ code: 'invitation.accepted_new_account', vars: { username: account.username, organization: opened.organization.name }, level: 'info' }],
      organization: opened.organization.name,
    });
  });

  function renderJoin(ctx: Context, opened: OpenedInvitation, token: string, preview: JoinPreview, csrfToken: string, messages: Message[] = [], status = 200) {
    const s = preview.standing;
    page(ctx, 'invitation-join', {
      title: 'page.title.join', titleVars: { organization: opened.organization.name },
      messages,
      organization: opened.organization.name,
      username: preview.account.username,
      invitedEmail: opened.invitation.email,
      emailChanges: preview.emailChanges,
      kind: s.kind,
      leaving: preview.leaving,
      groups: s.kind === 'admin'
        ? s.groups.map((g) => ({ ...g, newAdmins: g.newAdminIds.map((id) => preview.adminNames[id] ?? id).join(', ') }))
        : [],
      action: `/invitations/${token}/join`,
      csrf: csrfToken,
      transferHref: '/admin/organization',
    }, status);
  }

  // Using an existing account: sign in with it (password + MFA, through /auth), then confirm.
  router.get('/:token/join', async (ctx) => {
    const token = ctx.params.token;
    const opened = await usableOrExplain(ctx, token);
    if (!opened) return;
    const signedIn = await session.requireRecentAuthentication(ctx);
    if (!signedIn) return;
    const previewed = await attempt(() => invitations.previewJoin(token, signedIn.accountId));
    if (!previewed.ok) return page(ctx, 'invitation-unusable', { title: 'page.title.this_invitation_cannot_be_used', messages: [previewed.error.toMessage()] }, previewed.error.status);
    const preview = previewed.value;
    const wanted = typeof ctx.query.as === 'string' ? ctx.query.as : undefined;
    if (wanted && wanted.toLowerCase() !== preview.account.username.toLowerCase()) {
      return page(ctx, 'invitation-other-account', {
        title: 'page.title.join', titleVars: { organization: opened.organization.name },
        messages: [{ code: 'invitation.signed_in_as_other', vars: { username: preview.account.username, wanted }, level: 'info' }],
        signedInAs: preview.account.username,
        wanted,
        continueHref: `/invitations/${token}/join`,
      });
    }
    renderJoin(ctx, opened, token, preview, csrf.tokenFor(signedIn.sessionUid));
  });

  router.post('/:token/join', async (ctx) => {
    const token = ctx.params.token;
    const opened = await usableOrExplain(ctx, token);
    if (!opened) return;
    const signedIn = await session.requireSignIn(ctx);
    if (!signedIn) return;
    const form = formOf(ctx);
    csrf.check(signedIn.sessionUid, form._csrf);
    const joined = await attempt(() => invitations.joinWithExistingAccount(token, signedIn.accountId, { confirmed: form.confirm === 'yes' }, request(ctx)));
    if (!joined.ok) {
      const err = joined.error;
      if (err.code === 'invitation.confirmation_required' || err.code === 'invitation.owner_has_members') {
        const preview = await invitations.previewJoin(token, signedIn.accountId);
        return renderJoin(ctx, opened, token, preview, csrf.tokenFor(signedIn.sessionUid), [err.toMessage()], err.status);
      }
      return page(ctx, 'invitation-unusable', { title: 'page.title.this_invitation_cannot_be_used', messages: [err.toMessage()] }, err.status);
    }
    page(ctx, 'invitation-joined', {
      title: 'page.title.welcome', titleVars: { organization: opened.organization.name },
      messages: [{ code: 'invitation.accepted_existing_account', vars: { organization: opened.organization.name }, level: 'info' }],
      organization: opened.organization.name,
    });
  });

  return router;
}
