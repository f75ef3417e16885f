// Access Management → Identity Providers (issue 6): the organization's external OpenID Connect IdPs
// (add, change, "Test connection", remove) and its sign-in settings (domains, "SSO required", "Allow
// profile linking"). Same services as the admin API; the client secret field is write-only.
import type { Context } from 'koa';
import { AccessDenied, can } from '../../accounts/access.ts';
import { DomainError } from '../../accounts/errors.ts';
import type { IdentityProviderAdmin } from '../../federation/identity-provider-admin.ts';
import { parseScopes, type IdentityProviderInput } from '../../federation/identity-provider.ts';
import type { SignInSettingsService } from '../../federation/sign-in-settings.ts';
import type { ConnectionReport } from '../../federation/connection-test.ts';
import type { Message } from '../../accounts/messages/language.ts';
import type { AdminPageKit } from './admin-pages.ts';

/** `?saved=` notices after a redirect: a code only, never user data. */
const NOTICES = ['idp.created', 'idp.updated', 'idp.deleted', 'settings.saved'] as const;

const BASE = '/admin/identity-providers';

export function identityProviderPages(deps: { idps: IdentityProviderAdmin; settings: SignInSettingsService; redirectUri: string }) {
  return (kit: AdminPageKit) => {
    const { router, guard, show, messagesOf, statusOf, formOf } = kit;

    const notice = (ctx: Context): Message[] => {
      const code = typeof ctx.query.saved === 'string' ? ctx.query.saved : '';
      const known = NOTICES.find((n) => n === code);
      return known ? [{ code: known, level: 'info' }] : [];
    };
    const done = (ctx: Context, path: string, code: string) => {
      ctx.status = 303;
      ctx.redirect(`${path}?saved=${encodeURIComponent(code)}`);
    };
    async function admin(ctx: Context) {
      const a = await guard(ctx);
      if (a && !can(a.p, 'idps:manage')) throw new AccessDenied({ code: 'access.reason.needs_permission', vars: { permission: 'idps:manage' } });
      return a;
    }

    /** The form's fields as a registration; checkboxes absent from the body are off. */
    function inputOf(form: Record<string, string>): IdentityProviderInput {
      return {
        name: form.name ?? '',
        issuer: form.issuer ?? '',
        clientId: form.clientId ?? '',
        // Write-only: an empty field keeps the stored secret; "remove secret" clears it.
        clientSecret: form.removeSecret === 'on' ? '' : form.clientSecret || undefined,
        scopes: parseScopes(form.scopes ?? 'openid email profile'),
        claimMapping: { subject: form.claimSubject, email: form.claimEmail, emailVerified: form.claimEmailVerified, name: form.claimName },
        tokenEndpointAuthMethod: form.tokenEndpointAuthMethod || undefined,
        showButton: form.showButton === 'on',
        provisionUsers: form.provisionUsers === 'on',
        enabled: form.enabled === 'on',
      };
    }

    async function listPage(ctx: Context, a: NonNullable<Awaited<ReturnType<typeof admin>>>, messages: Message[] = [], status = 200, form: Record<string, string> = {}) {
      const [idps, settings] = await Promise.all([deps.idps.list(a.p), deps.settings.get(a.p)]);
      show(ctx, a, 'idps', 'admin/identity-providers', {
        title: 'page.title.identity_providers',
        idps,
        settings: { ...settings, domainsText: settings.domains.join('\n') },
        redirectUri: deps.redirectUri,
        // private_key_jwt: the IdP finds Gatehouse's public keys here.
        issuerJwks: deps.redirectUri.replace(/\/federation\/callback$/, '/jwks'),
        form: { scopes: 'openid email profile', tokenEndpointAuthMethod: 'client_secret_basic', claimSubject: 'sub', claimEmail: 'email', claimEmailVerified: 'email_verified', claimName: 'name', enabled: 'on', ...form },
        isPerson: a.p.kind === 'user',
      }, [...notice(ctx), ...messages], status);
    }

    async function detailPage(ctx: Context, a: NonNullable<Awaited<ReturnType<typeof admin>>>, id: string, messages: Message[] = [], status = 200, report?: ConnectionReport) {
      const idp = await deps.idps.get(a.p, id);
      show(ctx, a, 'idps', 'admin/identity-provider', {
        titleText: idp.name,
        idp: { ...idp, scopesText: idp.scopes.join(' ') },
        redirectUri: deps.redirectUri,
        // private_key_jwt: the IdP finds Gatehouse's public keys here.
        issuerJwks: deps.redirectUri.replace(/\/federation\/callback$/, '/jwks'),
        report,
      }, [...notice(ctx), ...messages], status);
    }

    router.get('/identity-providers', async (ctx) => {
      const a = await admin(ctx);
      if (a) await listPage(ctx, a);
    });

    router.post('/identity-providers', async (ctx) => {
      const a = await admin(ctx);
      if (!a) return;
      const form = formOf(ctx);
      try {
        switch (form.action) {
          case 'create': {
            const created = await deps.idps.create(a.p, inputOf(form));
            return done(ctx, `${BASE}/oidc/${created.id}`, 'idp.created');
          }
          case 'settings':
            await deps.settings.update(a.p, {
              domains: (form.domains ?? '').split(/[\s,]+/).filter(Boolean),
              ssoRequired: form.ssoRequired === 'on',
              ...(a.p.kind === 'user' ? { allowProfileLinking: form.allowProfileLinking === 'on' } : {}),
            });
            return done(ctx, BASE, 'settings.saved');
          default:
            throw new DomainError('request.unknown_action');
        }
      } catch (err) {
        const { clientSecret: _secret, ...kept } = form; // a typed secret is never echoed back
        await listPage(ctx, a, messagesOf(err), statusOf(err), form.action === 'create' ? kept : {});
      }
    });

    router.get('/identity-providers/oidc/:id', async (ctx) => {
      const a = await admin(ctx);
      if (a) await detailPage(ctx, a, ctx.params.id);
    });

    router.post('/identity-providers/oidc/:id', async (ctx) => {
      const a = await admin(ctx);
      if (!a) return;
      const form = formOf(ctx);
      const id = ctx.params.id;
      try {
        switch (form.action) {
          case 'update':
            await deps.idps.update(a.p, id, inputOf(form));
            return done(ctx, `${BASE}/oidc/${id}`, 'idp.updated');
          case 'test': {
            const report = await deps.idps.test(a.p, id);
            const message: Message = report.ok
              ? { code: 'idp.connection_ok', level: 'info' }
              : { code: 'idp.connection_failed', level: 'error' };
            return detailPage(ctx, a, id, [message], 200, report);
          }
          case 'delete':
            await deps.idps.remove(a.p, id);
            return done(ctx, BASE, 'idp.deleted');
          default:
            throw new DomainError('request.unknown_action');
        }
      } catch (err) {
        if (err instanceof DomainError && err.status === 404) throw err;
        await detailPage(ctx, a, id, messagesOf(err), statusOf(err));
      }
    });
  };
}
