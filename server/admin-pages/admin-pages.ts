// Access Management pages under /admin for organization administrators: server-rendered, no
// JavaScript needed, every form CSRF-protected. They call the same domain services as the admin API
// (accounts/*), with the signed-in person as the principal, so the rules have one code path.
import { describeUpstreamFailure } from '../../federation/upstream-failure.ts';
import Router from '@koa/router';
import type { Context } from 'koa';
import { AccessDenied, can, userPrincipal, type Principal } from '../../accounts/access.ts';
import { namedEvent, type AuditNames, type AuditReader, type AuditOutcome } from '../../accounts/audit.ts';
import { DomainError, ValidationError, violationMessage } from '../../accounts/errors.ts';
import type { InvitationService } from '../../accounts/invitations.ts';
import type { OrganizationService } from '../../accounts/organizations.ts';
import type { OrganizationStore } from '../../accounts/organization.ts';
import { PERMISSION_CODES, type Permission } from '../../accounts/permissions.ts';
import type { UserAdmin } from '../../accounts/user-admin.ts';
import type { MfaExemptions } from '../../accounts/mfa-exemptions.ts';
import type { AccountSession, SignedInSession } from '../../interactions/account-session.ts';
import type { Csrf } from '../../interactions/csrf.ts';
import { render } from '../../views/render.ts';
import type { Message } from '../../accounts/messages/language.ts';
import { isMessageCode } from '../../accounts/messages/catalog.ts';
import { sessionRow } from '../../interactions/account-sessions-routes.ts';
import { describeUserAgent, deviceMessage } from '../../accounts/device-description.ts';
import { auditDto, decodeCursor, encodeCursor, withAccountFilter } from '../admin-api/routes.ts';
import type { BrandingService } from '../../accounts/branding.ts';
import { BRANDING_LOGO_MAX_BYTES, SINGLE_FACTOR_PASSWORD_MIN_LENGTH } from '../../accounts/security-constants.ts';

const PAGE_SIZE = 25;
const AUDIT_OUTCOMES = ['success', 'failure', 'denied'] as const;

/** Notices after a redirect: the query carries a code only, never user data. */
const NOTICES = [
  'user.updated', 'user.removed', 'user.reset_sent', 'user.mfa_reset', 'user.unlocked',
  'user.session_ended', 'user.sessions_ended', 'user.session_gone',
  'group.created', 'group.renamed', 'group.moved', 'group.deleted',
  'invitation.sent', 'invitation.resent', 'invitation.revoked',
  'organization.renamed', 'organization.transferred',
  'branding.updated', 'branding.logo_set', 'branding.logo_removed',
  'exemption.added', 'exemption.removed',
] as const;

type Section = 'users' | 'groups' | 'invitations' | 'apps' | 'audit' | 'idps' | 'organization';
const SECTIONS: { id: Section; label: string; href: string; permission: Permission }[] = [
  { id: 'users', label: 'page.title.users', href: '/admin/users', permission: 'users:read' },
  { id: 'groups', label: 'page.title.business_groups', href: '/admin/groups', permission: 'groups:manage' },
  { id: 'invitations', label: 'page.title.invitations', href: '/admin/invitations', permission: 'invitations:manage' },
  { id: 'apps', label: 'page.title.applications', href: '/admin/applications', permission: 'apps:manage' },
  { id: 'audit', label: 'page.title.audit_log', href: '/admin/audit', permission: 'audit:read' },
  { id: 'idps', label: 'page.title.identity_providers', href: '/admin/identity-providers', permission: 'idps:manage' },
  { id: 'organization', label: 'page.title.organization', href: '/admin/organization', permission: 'organization:read' },
];

/** Form actions that delete or revoke something (or invalidate a secret): they need `confirm=yes`. */
const DESTRUCTIVE_ACTIONS = new Set(['delete', 'remove', 'revoke', 'rotate', 'remove-logo']);

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const formOf = (ctx: Context): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((ctx.request.body as object) ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
};

/** What another feature's admin pages (federation's identity providers) use to look and behave like these. */
export type AdminPageKit = {
  router: Router;
  guard(ctx: Context): Promise<{ s: SignedInSession; p: Principal } | null>;
  show(ctx: Context, a: { s: SignedInSession; p: Principal }, section: 'idps' | 'apps', template: string, model: Record<string, unknown>, messages?: Message[], status?: number): void;
  messagesOf(err: unknown): Message[];
  statusOf(err: unknown): number;
  formOf(ctx: Context): Record<string, string>;
};

export function createAdminPages(deps: {
  orgs: OrganizationStore;
  organizations: OrganizationService;
  users: UserAdmin;
  invitations: InvitationService;
  exemptions: MfaExemptions;
  auditReader: AuditReader;
  auditNames: AuditNames;
  session: AccountSession;
  csrf: Csrf;
  /** Fills the Identity Providers section (server/admin-pages/identity-provider-pages.ts); absent → a placeholder. */
  identityProviderPages?: (kit: AdminPageKit) => void;
  /** Fills the Applications section (server/admin-pages/application-pages.ts). */
  applicationPages?: (kit: AdminPageKit) => void;
  /** The organization's branding (display name, accent colour, logo) on the Organization page; absent → no such section. */
  branding?: BrandingService;
}) {
  const { organizations, users, invitations, auditReader, auditNames, csrf } = deps;
  const router = new Router({ prefix: '/admin' });
  type Admin = { s: SignedInSession; p: Principal };

  /** Signed in, in an organization, allowed to see at least one section; POSTs carry the CSRF token. */
  async function guard(ctx: Context): Promise<Admin | null> {
    const s = await deps.session.requireSignIn(ctx);
    if (!s) return null;
    const p = await userPrincipal(deps.orgs, s.accountId, { ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined });
    if (!p || !SECTIONS.some((x) => x.id !== 'organization' && can(p, x.permission))) {
      throw new AccessDenied('access.reason.admins_only');
    }
    if (ctx.method === 'POST') {
      const form = formOf(ctx);
      csrf.check(s.sessionUid, form._csrf);
      // The forms hold a required "I'm sure" box (works without JavaScript); a POST without it did not confirm.
      if ((DESTRUCTIVE_ACTIONS.has(form.action) || ctx.path.endsWith('/remove')) && form.confirm !== 'yes') {
        throw new DomainError('confirm.required', { status: 400 });
      }
    }
    return { s, p };
  }

  function show(ctx: Context, a: Admin, section: Section, template: string, model: Record<string, unknown>, messages: Message[] = [], status = 200) {
    const notice = str(ctx.query.done);
    const known = NOTICES.find((n) => n === notice);
    const all: Message[] = [...(known ? [{ code: known === 'invitation.revoked' ? 'invitation.revoked_notice' as const : known, level: 'info' as const }] : []), ...messages];
    ctx.status = status;
    ctx.type = 'html';
    ctx.body = render(template, {
      ...model,
      messages: all,
      csrf: csrf.tokenFor(a.s.sessionUid),
      nav: SECTIONS.filter((x) => can(a.p, x.permission)).map((x) => ({ ...x, current: x.id === section })),
    });
  }

  const done = (ctx: Context, path: string, code: string) => {
    ctx.status = 303;
    ctx.redirect(`${path}${path.includes('?') ? '&' : '?'}done=${encodeURIComponent(code)}`);
  };

  /** Domain errors re-render the page with the message; anything else goes to the error handler. */
  const messagesOf = (err: unknown): Message[] => {
    if (err instanceof ValidationError) return err.violations.map(violationMessage);
    if (err instanceof DomainError) return [err.toMessage()];
    throw err;
  };
  const statusOf = (err: unknown) => (err instanceof DomainError ? err.status : 500);

  async function groupOptions(p: Principal) {
    const tree = await organizations.tree(p);
    const depth = new Map<string, number>([[tree.organization.id, 0]]);
    for (const g of tree.groups) depth.set(g.id, (depth.get(g.parentId ?? '') ?? 0) + 1);
    return {
      tree,
      options: [
        { id: tree.organization.id, label: tree.organization.name },
        ...tree.groups.map((g) => ({ id: g.id, label: `${'— '.repeat(depth.get(g.id) ?? 1)}${g.name}` })),
      ],
      depth,
    };
  }

  router.get('/', async (ctx) => {
    const a = await guard(ctx);
    if (!a) return;
    const first = SECTIONS.find((x) => can(a.p, x.permission));
    ctx.redirect(first?.href ?? '/admin/organization');
  });

  // --- Users ---
  async function usersPage(ctx: Context, a: Admin, messages: Message[] = [], status = 200) {
    const search = str(ctx.query.q)?.slice(0, 200) || undefined;
    const after = decodeCursorSafe(str(ctx.query.after));
    const list = await users.list(a.p, { search, after, limit: PAGE_SIZE + 1 });
    const next = list.length > PAGE_SIZE ? encodeCursor(list[PAGE_SIZE - 1].username.toLowerCase()) : null;
    const shown = list.slice(0, PAGE_SIZE);
    const lockouts = await users.lockoutsOf(a.p, shown);
    show(ctx, a, 'users', 'admin/users', {
      title: 'page.title.users',
      q: search ?? '',
      users: shown.map((u) => ({ ...u, locked: lockouts.get(u.id)?.locked ?? false })),
      nextHref: next ? `/admin/users?${new URLSearchParams({ ...(search ? { q: search } : {}), after: next })}` : null,
    }, messages, status);
  }
  router.get('/users', async (ctx) => {
    const a = await guard(ctx);
    if (a) await usersPage(ctx, a);
  });

  async function userPage(ctx: Context, a: Admin, id: string, messages: Message[] = [], status = 200) {
    const user = await users.get(a.p, id);
    const lockout = await users.lockout(a.p, id);
    const { options } = await groupOptions(a.p);
    const names = new Map(options.map((o) => [o.id, o.label.replace(/^(— )+/, '')]));
    show(ctx, a, 'users', 'admin/user', {
      titleText: user.username,
      user: {
        ...user,
        memberships: user.memberships.map((m) => ({ role: m.role, where: names.get(m.organizationId) ?? m.organizationId })),
        permissions: user.permissions.map((perm) => ({ id: perm, label: PERMISSION_CODES[perm as Permission] })),
      },
      lockout,
      canManage: can(a.p, 'users:manage'),
      capabilities: users.capabilities,
      isSelf: a.p.id === user.id,
      sessions: users.capabilities.sessions ? (await users.listSessions(a.p, id, { currentUid: a.s.sessionUid })).map(sessionRow) : null,
    }, messages, status);
  }
  router.get('/users/:id', async (ctx) => {
    const a = await guard(ctx);
    if (a) await userPage(ctx, a, ctx.params.id);
  });
  router.post('/users/:id', async (ctx) => {
    const a = await guard(ctx);
    if (!a) return;
    const form = formOf(ctx);
    const id = ctx.params.id;
    try {
      switch (form.action) {
        case 'update':
          await users.update(a.p, id, { email: form.email, name: form.name ?? null });
          return done(ctx, `/admin/users/${id}`, 'user.updated');
        case 'service-account':
          await users.setServiceAccount(a.p, id, form.serviceAccount === 'yes');
          return done(ctx, `/admin/users/${id}`, 'user.updated');
        case 'remove':
          await users.remove(a.p, id);
          return done(ctx, '/admin/users', 'user.removed');
        case 'password-reset':
          await users.sendPasswordReset(a.p, id);
          return done(ctx, `/admin/users/${id}`, 'user.reset_sent');
        case 'unlock':
          await users.unlock(a.p, id);
          return done(ctx, `/admin/users/${id}`, 'user.unlocked');
        case 'mfa-reset':
          if (form.confirm !== 'yes') {
            // Reference: "Reset multi-factor authentication" asks first ("Confirm reset MFA").
            const user = await users.get(a.p, id);
            return show(ctx, a, 'users', 'admin/confirm-mfa-reset', { title: 'page.title.reset_multi_factor_authentication', user });
          }
          await users.resetMfa(a.p, id);
          return done(ctx, `/admin/users/${id}`, 'user.mfa_reset');
        case 'end-session':
          try {
            await users.endSession(a.p, id, form.session ?? '');
          } catch (err) {
            if (!(err instanceof DomainError && err.code === 'session.not_found')) throw err;
            return done(ctx, `/admin/users/${id}`, 'user.session_gone');
          }
          return done(ctx, `/admin/users/${id}`, 'user.session_ended');
        case 'end-all-sessions':
          await users.endAllSessions(a.p, id);
          return done(ctx, `/admin/users/${id}`, 'user.sessions_ended');
        default:
          throw new DomainError('request.unknown_action');
      }
    } catch (err) {
      if (err instanceof DomainError && err.status === 404) throw err;
      await userPage(ctx, a, id, messagesOf(err), statusOf(err));
    }
  });

  // --- Business groups ---
  async function groupsPage(ctx: Context, a: Admin, messages: Message[] = [], status = 200) {
    const { tree, options, depth } = await groupOptions(a.p);
    show(ctx, a, 'groups', 'admin/groups', {
      title: 'page.title.business_groups',
      organization: tree.organization,
      groups: tree.groups.map((g) => ({ ...g, indent: depth.get(g.id) ?? 1, parentName: options.find((o) => o.id === g.parentId)?.label.replace(/^(— )+/, '') })),
      options,
    }, messages, status);
  }
  router.get('/groups', async (ctx) => {
    const a = await guard(ctx);
    if (a) await groupsPage(ctx, a);
  });
  router.post('/groups', async (ctx) => {
    const a = await guard(ctx);
    if (!a) return;
    const form = formOf(ctx);
    try {
      switch (form.action) {
        case 'create':
          await organizations.createGroup(a.p, { name: form.name ?? '', parentId: form.parentId || undefined });
          return done(ctx, '/admin/groups', 'group.created');
        case 'rename':
          await organizations.getGroup(a.p, form.id ?? '');
          await organizations.rename(a.p, form.id ?? '', form.name ?? '');
          return done(ctx, '/admin/groups', 'group.renamed');
        case 'move':
          await organizations.move(a.p, form.id ?? '', form.parentId ?? '');
          return done(ctx, '/admin/groups', 'group.moved');
        case 'delete':
          await organizations.deleteGroup(a.p, form.id ?? '');
          return done(ctx, '/admin/groups', 'group.deleted');
        default:
          throw new DomainError('request.unknown_action');
      }
    } catch (err) {
      await groupsPage(ctx, a, messagesOf(err), statusOf(err));
    }
  });

  // --- Invitations ---
  async function invitationsPage(ctx: Context, a: Admin, messages: Message[] = [], status = 200, form: Record<string, string> = {}) {
    const all = ctx.query.status === 'all';
    const before = str(ctx.query.before);
    const list = await invitations.list(a.p, { pendingOnly: !all, before, limit: PAGE_SIZE + 1 });
    const { options } = await groupOptions(a.p);
    const names = new Map(options.map((o) => [o.id, o.label.replace(/^(— )+/, '')]));
    show(ctx, a, 'invitations', 'admin/invitations', {
      title: 'page.title.invitations',
      all,
      form,
      options,
      invitations: list.slice(0, PAGE_SIZE).map((i) => ({ ...i, where: names.get(i.businessGroupId) ?? '' })),
      nextHref: list.length > PAGE_SIZE ? `/admin/invitations?${new URLSearchParams({ ...(all ? { status: 'all' } : {}), before: list[PAGE_SIZE - 1].id })}` : null,
    }, messages, status);
  }
  router.get('/invitations', async (ctx) => {
    const a = await guard(ctx);
    if (a) await invitationsPage(ctx, a);
  });
  router.post('/invitations', async (ctx) => {
    const a = await guard(ctx);
    if (!a) return;
    const form = formOf(ctx);
    try {
      switch (form.action) {
        case 'invite':
          await invitations.invite(a.p, { email: form.email ?? '', role: form.role === 'admin' ? 'admin' : 'member', businessGroupId: form.businessGroupId || undefined });
          return done(ctx, '/admin/invitations', 'invitation.sent');
        case 'resend':
          await invitations.resend(a.p, form.id ?? '');
          return done(ctx, '/admin/invitations', 'invitation.resent');
        case 'revoke':
          await invitations.revoke(a.p, form.id ?? '');
          return done(ctx, '/admin/invitations', 'invitation.revoked');
        default:
          throw new DomainError('request.unknown_action');
      }
    } catch (err) {
      await invitationsPage(ctx, a, messagesOf(err), statusOf(err), { email: form.email ?? '', role: form.role ?? 'member', businessGroupId: form.businessGroupId ?? '' });
    }
  });

  // --- Applications: the applications feature fills this section; the old address still leads there. ---
  router.get('/apps', (ctx) => {
    ctx.status = 301;
    ctx.redirect('/admin/applications');
  });
  deps.applicationPages?.({ router, guard, show, messagesOf, statusOf, formOf });

  // --- Audit log ---
  function auditFilterOf(ctx: Context, p: Principal) {
    const outcome = str(ctx.query.outcome);
    const date = (v: string | undefined) => (v && !Number.isNaN(Date.parse(v)) ? new Date(v) : undefined);
    return {
      organizationId: p.organizationId,
      actor: str(ctx.query.actor)?.slice(0, 200) || undefined,
      target: str(ctx.query.target)?.slice(0, 200) || undefined,
      action: str(ctx.query.action)?.slice(0, 64) || undefined,
      outcome: AUDIT_OUTCOMES.find((o) => o === outcome) as AuditOutcome | undefined,
      from: date(str(ctx.query.from)),
      to: date(str(ctx.query.to)),
    };
  }
  const usernameOf = (ctx: Context) => str(ctx.query.username)?.trim().slice(0, 100) || undefined;
  router.get('/audit', async (ctx) => {
    const a = await guard(ctx);
    if (!a) return;
    if (!can(a.p, 'audit:read')) throw new AccessDenied({ code: 'access.reason.needs_permission', vars: { permission: 'audit:read' } });
    const filter = await withAccountFilter(auditNames, auditFilterOf(ctx, a.p), usernameOf(ctx));
    const before = str(ctx.query.before);
    const validBefore = before && /^\d{1,19}$/.test(before) ? before : undefined;
    const events = filter ? await auditReader.query({ ...filter, before: validBefore, limit: PAGE_SIZE + 1 }) : [];
    const shown = events.slice(0, PAGE_SIZE);
    const names = await auditNames.resolve(a.p.organizationId, shown.flatMap((e) => [e.actor, e.target]));
    const query = Object.fromEntries(['username', 'actor', 'target', 'action', 'outcome', 'from', 'to'].map((k) => [k, str(ctx.query[k]) ?? '']).filter(([, v]) => v !== ''));
    show(ctx, a, 'audit', 'admin/audit', {
      title: 'page.title.audit_log',
      query,
      // People and things by name; the id is on hover (title) and in the export.
      events: shown.map((e) => ({ ...namedEvent(e, names), actionLabel: isMessageCode(`audit.${e.action}`) ? `audit.${e.action}` : null, device: e.userAgent ? deviceMessage(describeUserAgent(e.userAgent)) : null, reason: describeUpstreamFailure(e.details) ?? null, detailsText: e.details ? JSON.stringify(e.details) : '' })),
      outcomes: AUDIT_OUTCOMES,
      nextHref: events.length > PAGE_SIZE ? `/admin/audit?${new URLSearchParams({ ...query, before: events[PAGE_SIZE - 1].id })}` : null,
      firstHref: validBefore ? `/admin/audit?${new URLSearchParams(query)}` : null,
      exportHref: `/admin/audit/export?${new URLSearchParams(query)}`,
    });
  });
  router.get('/audit/export', async (ctx) => {
    const a = await guard(ctx);
    if (!a) return;
    if (!can(a.p, 'audit:read')) throw new AccessDenied({ code: 'access.reason.needs_permission', vars: { permission: 'audit:read' } });
    const filter = await withAccountFilter(auditNames, auditFilterOf(ctx, a.p), usernameOf(ctx));
    ctx.type = 'application/jsonl';
    ctx.set('Content-Disposition', 'attachment; filename="audit-events.jsonl"');
    const lines: string[] = [];
    let before: string | undefined;
    for (;;) {
      if (!filter) break;
      const batch = await auditReader.query({ ...filter, before, limit: 500 });
      const names = await auditNames.resolve(a.p.organizationId, batch.flatMap((e) => [e.actor, e.target]));
      for (const e of batch) lines.push(JSON.stringify(auditDto(e, names)));
      if (batch.length < 500) break;
      before = batch[batch.length - 1].id;
    }
    ctx.body = lines.length ? `${lines.join('\n')}\n` : '';
  });

  // --- Identity providers: the federation feature fills this page. ---
  if (deps.identityProviderPages) deps.identityProviderPages({ router, guard, show, messagesOf, statusOf, formOf });
  else router.get('/identity-providers', async (ctx) => {
    const a = await guard(ctx);
    if (!a) return;
    if (!can(a.p, 'idps:manage')) throw new AccessDenied({ code: 'access.reason.needs_permission', vars: { permission: 'idps:manage' } });
    show(ctx, a, 'idps', 'admin/identity-providers', { title: 'page.title.identity_providers' });
  });

  // --- The Gatehouse identity provider's settings: MFA exemptions for service accounts ---
  async function exemptionsPage(ctx: Context, a: Admin, messages: Message[] = [], status = 200) {
    const exempt = await deps.exemptions.list(a.p);
    const exemptIds = new Set(exempt.map((e) => e.id));
    const candidates = (await users.list(a.p, { limit: 100 })).filter((u) => !exemptIds.has(u.id));
    show(ctx, a, 'idps', 'admin/mfa-exemptions', {
      title: 'page.title.gatehouse_identity_provider_exempt_accou',
      exempt,
      candidates: candidates.map((u) => ({ id: u.id, username: u.username, serviceAccount: u.serviceAccount })),
      minPasswordLength: SINGLE_FACTOR_PASSWORD_MIN_LENGTH,
    }, messages, status);
  }

  router.get('/identity-providers/gatehouse', async (ctx) => {
    const a = await guard(ctx);
    if (!a) return;
    await exemptionsPage(ctx, a);
  });

  router.post('/identity-providers/gatehouse/exemptions', async (ctx) => {
    const a = await guard(ctx);
    if (!a) return;
    try {
      await deps.exemptions.add(a.p, formOf(ctx).account_id ?? '');
    } catch (err) {
      return exemptionsPage(ctx, a, messagesOf(err), statusOf(err));
    }
    done(ctx, '/admin/identity-providers/gatehouse', 'exemption.added');
  });

  router.post('/identity-providers/gatehouse/exemptions/:id/remove', async (ctx) => {
    const a = await guard(ctx);
    if (!a) return;
    try {
      await deps.exemptions.remove(a.p, ctx.params.id);
    } catch (err) {
      return exemptionsPage(ctx, a, messagesOf(err), statusOf(err));
    }
    done(ctx, '/admin/identity-providers/gatehouse', 'exemption.removed');
  });

  // --- Organization: rename, transfer ownership, delete ---
  async function organizationPage(ctx: Context, a: Admin, messages: Message[] = [], status = 200, brandingForm: Record<string, string> = {}) {
    const tree = await organizations.tree(a.p);
    const isOwner = can(a.p, 'organization:transfer');
    const members = isOwner ? (await users.list(a.p, { limit: 100 })).filter((u) => u.id !== a.p.id) : [];
    const branding = deps.branding ? await deps.branding.get(a.p) : undefined;
    show(ctx, a, 'organization', 'admin/organization', {
      title: 'page.title.organization',
      organization: tree.organization,
      branding: branding && { ...branding, ...brandingForm, logoUrl: branding.logo ? `/branding/${branding.organizationId}/logo?v=${branding.logo.sha256.slice(0, 16)}` : undefined },
      logoMaxKb: BRANDING_LOGO_MAX_BYTES / 1024,
      canRename: can(a.p, 'organization:manage'),
      isOwner,
      members,
    }, messages, status);
  }
  router.get('/organization', async (ctx) => {
    const a = await guard(ctx);
    if (a) await organizationPage(ctx, a);
  });
  router.post('/organization', async (ctx) => {
    const a = await guard(ctx);
    if (!a) return;
    const form = formOf(ctx);
    try {
      switch (form.action) {
        case 'rename':
          await organizations.rename(a.p, a.p.organizationId, form.name ?? '');
          return done(ctx, '/admin/organization', 'organization.renamed');
        case 'transfer':
          await organizations.transferOwnership(a.p, form.accountId ?? '');
          return done(ctx, '/admin/organization', 'organization.transferred');
        case 'branding':
          if (!deps.branding) break;
          await deps.branding.update(a.p, { displayName: form.displayName ?? null, accentColor: form.accentColor ?? null });
          return done(ctx, '/admin/organization', 'branding.updated');
        case 'remove-logo':
          if (!deps.branding) break;
          await deps.branding.removeLogo(a.p);
          return done(ctx, '/admin/organization', 'branding.logo_removed');
      }
      throw new DomainError('request.unknown_action');
    } catch (err) {
      // A refused branding form shows what was typed, so it can be corrected.
      await organizationPage(ctx, a, messagesOf(err), statusOf(err), form.action === 'branding' ? { displayName: form.displayName ?? '', accentColor: form.accentColor ?? '' } : {});
    }
  });
  // The logo arrives as multipart/form-data (a file input works without JavaScript); server/body-parser.ts parses it here only.
  router.post('/organization/logo', async (ctx) => {
    const a = await guard(ctx);
    if (!a || !deps.branding) return;
    const file = ctx.request.files?.logo;
    try {
      await deps.branding.setLogo(a.p, file?.bytes ?? Buffer.alloc(0), file?.type);
      done(ctx, '/admin/organization', 'branding.logo_set');
    } catch (err) {
      await organizationPage(ctx, a, messagesOf(err), statusOf(err));
    }
  });

  return router;
}

function decodeCursorSafe(value: string | undefined) {
  try {
    return decodeCursor(value);
  } catch {
    return undefined;
  }
}
