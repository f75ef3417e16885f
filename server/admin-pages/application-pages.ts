// Access Management → Applications (issue 9): the organization's applications of every kind — list,
// "New application", and each app's page (edit, rotate secret, disable/enable, delete). Server-
// rendered forms, no JavaScript; the same service as the admin API, so the rules have one code path.
// A refusal re-renders the form with what was typed and a message next to each field.
import type { Context } from 'koa';
import { AccessDenied, can } from '../../accounts/access.ts';
import { DomainError, ValidationError } from '../../accounts/errors.ts';
import { APPLICATION_KINDS, KIND_LABELS, MAX_REDIRECT_URIS, MAX_WEB_ORIGINS, OIDC_SCOPES, WEB_AUTH_METHODS, type Application, type ApplicationKind } from '../../accounts/application.ts';
import type { ApplicationPatch, Applications } from '../../accounts/applications.ts';
import { APP_PERMISSIONS, PERMISSION_CODES } from '../../accounts/permissions.ts';
import type { Message as ViewMessage, MessageCode } from '../../accounts/messages/language.ts';
import type { AdminPageKit } from './admin-pages.ts';

const BASE = '/admin/applications';
const PAGE_SIZE = 50;

/** `?done=` notices after a redirect (texts in the catalog). */
const NOTICES = ['application.updated', 'application.disabled', 'application.enabled', 'application.deleted'] as const;

/** What each OpenID Connect scope gives an application (catalog codes; the page shows the scope and t(code)). */
const SCOPE_LABELS: Record<string, MessageCode> = {
  openid: 'page.admin.scope.openid',
  profile: 'page.admin.scope.profile',
  email: 'page.admin.scope.email',
  phone: 'page.admin.scope.phone',
  org: 'page.admin.scope.org',
  offline_access: 'page.admin.scope.offline_access',
};
const lines = (v: string | undefined) => (v ?? '').split(/\r?\n/).map((x) => x.trim()).filter(Boolean);

type Form = Record<string, string>;

/** The form's fields as a complete set (unchecked checkboxes are absent from the body: off). */
function fieldsOf(kind: ApplicationKind, form: Form, raw: Record<string, unknown>): ApplicationPatch {
  const checked = (prefix: string) => Object.keys(raw).filter((k) => k.startsWith(prefix) && raw[k] === 'on').map((k) => k.slice(prefix.length));
  const patch: ApplicationPatch = {
    name: form.name ?? '',
    logoUri: form.logoUri?.trim() || null,
    redirectUris: lines(form.redirectUris),
    postLogoutRedirectUris: lines(form.postLogoutRedirectUris),
    webOrigins: lines(form.webOrigins),
    backchannelLogoutUri: form.backchannelLogoutUri?.trim() || null,
    backchannelLogoutSessionRequired: form.backchannelLogoutSessionRequired === 'on',
    scopes: kind === 'service' ? checked('permission:') : checked('scope:'),
    firstParty: form.firstParty === 'on',
  };
  if (kind === 'web') {
    patch.tokenEndpointAuthMethod = (WEB_AUTH_METHODS as readonly string[]).includes(form.tokenEndpointAuthMethod ?? '') ? (form.tokenEndpointAuthMethod as ApplicationPatch['tokenEndpointAuthMethod']) : 'client_secret_basic';
    patch.jwksUri = form.jwksUri?.trim() || null;
  }
  return patch;
}

/** The values the form shows: an application's, or what was typed. */
function formOfApp(app: Pick<Application, 'kind' | 'name' | 'logoUri' | 'redirectUris' | 'postLogoutRedirectUris' | 'webOrigins' | 'backchannelLogoutUri' | 'backchannelLogoutSessionRequired' | 'scopes' | 'firstParty' | 'tokenEndpointAuthMethod' | 'jwksUri'>) {
  return {
    kind: app.kind,
    name: app.name,
    logoUri: app.logoUri ?? '',
    redirectUris: app.redirectUris.join('\n'),
    postLogoutRedirectUris: app.postLogoutRedirectUris.join('\n'),
    webOrigins: app.webOrigins.join('\n'),
    backchannelLogoutUri: app.backchannelLogoutUri ?? '',
    backchannelLogoutSessionRequired: app.backchannelLogoutSessionRequired,
    scopes: Object.fromEntries(app.scopes.map((x) => [x, true])),
    firstParty: app.firstParty,
    tokenEndpointAuthMethod: app.tokenEndpointAuthMethod,
    jwksUri: app.jwksUri ?? '',
  };
}

function typedForm(kind: ApplicationKind, form: Form, raw: Record<string, unknown>) {
  const f = fieldsOf(kind, form, raw);
  return {
    kind,
    name: form.name ?? '',
    logoUri: form.logoUri ?? '',
    redirectUris: form.redirectUris ?? '',
    postLogoutRedirectUris: form.postLogoutRedirectUris ?? '',
    webOrigins: form.webOrigins ?? '',
    backchannelLogoutUri: form.backchannelLogoutUri ?? '',
    backchannelLogoutSessionRequired: f.backchannelLogoutSessionRequired,
    scopes: Object.fromEntries((f.scopes ?? []).map((x) => [x, true])),
    firstParty: f.firstParty,
    tokenEndpointAuthMethod: form.tokenEndpointAuthMethod ?? 'client_secret_basic',
    jwksUri: form.jwksUri ?? '',
  };
}

export function applicationPages(deps: { applications: Applications }) {
  const { applications } = deps;
  return (kit: AdminPageKit) => {
    const { router, guard, show, messagesOf, statusOf, formOf } = kit;

    async function admin(ctx: Context) {
      const a = await guard(ctx);
      if (a && !can(a.p, 'apps:manage')) throw new AccessDenied({ code: 'access.reason.needs_permission', vars: { permission: 'apps:manage' } });
      return a;
    }
    type Admin = NonNullable<Awaited<ReturnType<typeof admin>>>;

    const notice = (ctx: Context): ViewMessage[] => {
      const code = typeof ctx.query.done === 'string' ? ctx.query.done : '';
      const known = NOTICES.find((n) => n === code);
      return known ? [{ code: known === 'application.disabled' ? 'application.disabled_notice' : known, level: 'info' }] : [];
    };
    const done = (ctx: Context, path: string, code: string) => {
      ctx.status = 303;
      ctx.redirect(`${path}?done=${encodeURIComponent(code)}`);
    };
    const choices = (a: Admin) => ({
      kinds: APPLICATION_KINDS.map((id) => ({ id, label: KIND_LABELS[id] })),
      oidcScopes: OIDC_SCOPES.map((id) => ({ id, label: SCOPE_LABELS[id] ?? id })),
      // Nobody grants more than they hold.
      permissions: APP_PERMISSIONS.filter((perm) => a.p.permissions.has(perm)).map((id) => ({ id, label: PERMISSION_CODES[id] })),
      authMethods: WEB_AUTH_METHODS,
      maxRedirectUris: MAX_REDIRECT_URIS,
      maxWebOrigins: MAX_WEB_ORIGINS,
    });

    async function listPage(ctx: Context, a: Admin, messages: ViewMessage[] = [], status = 200, form?: ReturnType<typeof typedForm>) {
      const after = typeof ctx.query.after === 'string' ? ctx.query.after.slice(0, 200) : undefined;
      const list = await applications.list({ principal: a.p }, { after, limit: PAGE_SIZE + 1 });
      show(ctx, a, 'apps', 'admin/applications', {
        title: 'page.title.applications',
        applications: list.slice(0, PAGE_SIZE).map((x) => ({ ...x, kindLabel: KIND_LABELS[x.kind] })),
        nextHref: list.length > PAGE_SIZE ? `${BASE}?after=${encodeURIComponent(list[PAGE_SIZE - 1].clientId)}` : null,
        form: form ?? { kind: 'web', scopes: Object.fromEntries(OIDC_SCOPES.map((x) => [x, true])), tokenEndpointAuthMethod: 'client_secret_basic' },
        ...choices(a),
      }, [...notice(ctx), ...messages], status);
    }

    async function detailPage(ctx: Context, a: Admin, id: string, messages: ViewMessage[] = [], status = 200, extra: { secret?: string | null; form?: ReturnType<typeof typedForm> } = {}) {
      const app = await applications.get({ principal: a.p }, id);
      show(ctx, a, 'apps', 'admin/application', {
        titleText: app.name,
        application: { ...app, kindLabel: KIND_LABELS[app.kind], confidential: app.kind === 'web' || app.kind === 'service' },
        form: extra.form ?? formOfApp(app),
        secret: extra.secret,
        ...choices(a),
      }, [...notice(ctx), ...messages], status);
    }

    router.get('/applications', async (ctx) => {
      const a = await admin(ctx);
      if (a) await listPage(ctx, a);
    });

    router.post('/applications', async (ctx) => {
      const a = await admin(ctx);
      if (!a) return;
      const form = formOf(ctx);
      const raw = (ctx.request.body ?? {}) as Record<string, unknown>;
      const kind = (APPLICATION_KINDS as readonly string[]).includes(form.kind ?? '') ? (form.kind as ApplicationKind) : undefined;
      if (!kind) {
        return listPage(ctx, a, [{ code: 'application.kind_invalid', field: 'kind' }], 400, typedForm('web', form, raw));
      }
      try {
        const created = await applications.create({ principal: a.p }, { kind, ...fieldsOf(kind, form, raw) });
        return detailPage(ctx, a, created.app.clientId, [{
          code: created.clientSecret ? 'application.created' : 'application.created_public',
          level: 'info',
        }], 201, { secret: created.clientSecret });
      } catch (err) {
        return listPage(ctx, a, messagesOf(err), statusOf(err), typedForm(kind, form, raw));
      }
    });

    router.get('/applications/:id', async (ctx) => {
      const a = await admin(ctx);
      if (a) await detailPage(ctx, a, ctx.params.id);
    });

    router.post('/applications/:id', async (ctx) => {
      const a = await admin(ctx);
      if (!a) return;
      const id = ctx.params.id;
      const form = formOf(ctx);
      const raw = (ctx.request.body ?? {}) as Record<string, unknown>;
      const path = `${BASE}/${encodeURIComponent(id)}`;
      let kind: ApplicationKind | undefined;
      try {
        kind = (await applications.get({ principal: a.p }, id)).kind;
        switch (form.action) {
          case 'update':
            await applications.update({ principal: a.p }, id, fieldsOf(kind, form, raw));
            return done(ctx, path, 'application.updated');
          case 'rotate': {
            const rotated = await applications.rotateSecret({ principal: a.p }, id);
            return detailPage(ctx, a, id, [{ code: 'application.secret_rotated', level: 'info' }], 200, { secret: rotated.clientSecret });
          }
          case 'disable':
          case 'enable':
            await applications.update({ principal: a.p }, id, { disabled: form.action === 'disable' });
            return done(ctx, path, form.action === 'disable' ? 'application.disabled' : 'application.enabled');
          case 'delete':
            // The form's "I'm sure" box is checked by the admin pages' guard (confirm=yes).
            await applications.remove({ principal: a.p }, id);
            return done(ctx, BASE, 'application.deleted');
          default:
            throw new DomainError('request.unknown_action');
        }
      } catch (err) {
        if (err instanceof DomainError && err.status === 404) throw err;
        const typed = form.action === 'update' && kind && err instanceof ValidationError ? typedForm(kind, form, raw) : undefined;
        return detailPage(ctx, a, id, messagesOf(err), statusOf(err), { form: typed });
      }
    });
  };
}
