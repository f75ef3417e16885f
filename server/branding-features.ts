// Composition of organization branding: the store and service, the public assets (logo, accent
// stylesheet), the admin API routes, and the middleware that tells each page which organization and
// app it is about, so layout.njk can show their name, logo and colour (views/page-context.ts).
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import { z } from 'zod';
import type { AuditLog } from '../accounts/audit.ts';
import { createBrandingService, type Branding, type BrandingService, type ResolvedBrand } from '../accounts/branding.ts';
import { accentPalette, ACCENT_PATTERN, DISPLAY_NAME_MAX, LOGO_TYPES } from '../accounts/branding-rules.ts';
import type { OrganizationStore } from '../accounts/organization.ts';
import { createKnexBrandingStore } from '../adapters/branding-store.ts';
import { rememberBrandingReads, type OnStoreWrite } from '../adapters/embedded-reads.ts';
import { isHostname, normalizeDomain } from '../federation/domains.ts';
import { ACCOUNT_CLIENT_ID } from '../interactions/account-session.ts';
import { interactionOfRequest } from '../interactions/request-interaction.ts';
import { pageContext, type PageApp, type PageBrand } from '../views/page-context.ts';
import { route, type Route } from './admin-api/route.ts';

/** Public asset paths (outside /api and /admin: sign-in pages load them before anyone is signed in). */
export const BRANDING_PREFIX = '/branding';
export const LOGO_UPLOAD_PAGE_PATH = '/admin/organization/logo';
export const LOGO_UPLOAD_API_PATH = '/api/v1/organization/branding/logo';

const logoUrl = (b: Branding) => (b.logo ? `${BRANDING_PREFIX}/${b.organizationId}/logo?v=${b.logo.sha256.slice(0, 16)}` : undefined);
const accentCssUrl = (b: Branding) => (b.accentColor ? `${BRANDING_PREFIX}/${b.organizationId}/accent.css?v=${b.accentColor.slice(1)}` : undefined);

export function pageBrandOf(b: ResolvedBrand): PageBrand {
  return { organizationId: b.organizationId, name: b.name, logoUrl: logoUrl(b), accentCssUrl: accentCssUrl(b) };
}

// --- admin API shapes ---
const brandingSchema = z
  .object({
    displayName: z.string().nullable().meta({ description: 'Shown instead of the organization name on its pages; null → the organization name' }),
    accentColor: z.string().nullable().meta({ description: 'Accent colour #rrggbb; null → Gatehouse colours', example: '#2a4d8f' }),
    logo: z
      .object({ contentType: z.enum(LOGO_TYPES), size: z.number().int(), url: z.string().meta({ description: 'Where pages load it (public, cached)' }) })
      .nullable(),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: 'Branding' });
const brandingBody = z
  .object({
    displayName: z.string().max(DISPLAY_NAME_MAX).nullable().optional(),
    accentColor: z.string().regex(ACCENT_PATTERN, { message: 'must be #rrggbb' }).nullable().optional(),
  })
  .strict()
  .meta({ id: 'BrandingChanges' });
const logoBody = z
  .object({
    contentType: z.enum(LOGO_TYPES).meta({ description: 'PNG, JPEG or WebP; checked against the bytes. SVG is not accepted (it can carry script).' }),
    data: z.base64().meta({ description: 'The image, base64' }),
  })
  .strict()
  .meta({ id: 'LogoUpload' });

export function brandingDto(b: Branding, issuer: string) {
  const url = logoUrl(b);
  return {
    displayName: b.displayName,
    accentColor: b.accentColor,
    logo: b.logo && url ? { contentType: b.logo.type, size: b.logo.size, url: `${issuer}${url}` } : null,
    updatedAt: b.updatedAt?.toISOString() ?? null,
  };
}

function brandingRoutes(service: BrandingService, issuer: string): Route[] {
  const errors = { 400: 'branding.display_name_too_long, branding.accent_invalid, branding.logo_type, branding.logo_too_large' };
  return [
    route({
      method: 'get', path: '/organization/branding', operationId: 'getBranding', tag: 'Organizations', permission: 'organization:read',
      summary: 'The organization’s display name, accent colour and logo', status: 200, response: brandingSchema,
      async handler({ principal }) {
        return brandingDto(await service.get(principal), issuer);
      },
    }),
    route({
      method: 'patch', path: '/organization/branding', operationId: 'updateBranding', tag: 'Organizations', permission: 'organization:manage',
      summary: 'Change the display name or accent colour (null clears one)', body: brandingBody, status: 200, response: brandingSchema, errors,
      async handler({ principal, body }) {
        return brandingDto(await service.update(principal, body), issuer);
      },
    }),
    route({
      method: 'post', path: '/organization/branding/logo', operationId: 'setLogo', tag: 'Organizations', permission: 'organization:manage',
      summary: 'Upload the logo (PNG, JPEG or WebP, at most 256 KB)', body: logoBody, status: 200, response: brandingSchema, errors,
      async handler({ principal, body }) {
        return brandingDto(await service.setLogo(principal, Buffer.from(body.data, 'base64'), body.contentType), issuer);
      },
    }),
    route({
      method: 'delete', path: '/organization/branding/logo', operationId: 'removeLogo', tag: 'Organizations', permission: 'organization:manage',
      summary: 'Remove the logo', status: 200, response: brandingSchema,
      async handler({ principal }) {
        return brandingDto(await service.removeLogo(principal), issuer);
      },
    }),
  ];
}

/** Logo and accent stylesheet: public, cacheable, and served so a browser can only ever treat them as what they are. */
function assetRouter(service: BrandingService): Router {
  const router = new Router({ prefix: BRANDING_PREFIX });
  router.get('/:orgId/logo', async (ctx) => {
    const logo = await service.logo(ctx.params.orgId);
    if (!logo) return; // 404 page
    const etag = `"${logo.sha256}"`;
    // A versioned URL (?v=digest) never changes; an unversioned one is re-checked often.
    const versioned = ctx.query.v === logo.sha256.slice(0, 16);
    ctx.set('Cache-Control', versioned ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
    ctx.set('ETag', etag);
    ctx.set('Content-Security-Policy', "default-src 'none'; sandbox");
    ctx.set('Content-Disposition', 'inline');
    ctx.set('Cross-Origin-Resource-Policy', 'cross-origin');
    if (ctx.get('if-none-match') === etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = logo.type; // exact, from the bytes we checked at upload
    ctx.body = logo.bytes;
  });
  router.get('/:orgId/accent.css', async (ctx) => {
    const branding = await service.branding(ctx.params.orgId);
    if (!branding.accentColor) return;
    const p = accentPalette(branding.accentColor);
    ctx.type = 'text/css';
    ctx.set('Cache-Control', ctx.query.v === branding.accentColor.slice(1) ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
    // Values come from accentPalette (#rrggbb only), never from raw input.
    ctx.body = `:root { --accent: ${p.accent}; --accent-text: ${p.accentText}; --on-accent: ${p.onAccent}; }\n`;
  });
  return router;
}

/** A domain name among `values` (domain_hint, a login_hint that is a domain, or the typed custom domain). */
function hintedDomain(values: unknown[]): string | undefined {
  for (const value of values) {
    if (typeof value !== 'string' || value.includes('@')) continue;
    const domain = normalizeDomain(value);
    if (isHostname(domain) && domain.includes('.')) return domain;
  }
  return undefined;
}

type ClientLike = { clientId: string; clientName?: string; logoUri?: string; organization_id?: string };

/** An app's logo is shown only from https (or from this server): the page's CSP allows no other images. */
export function appOf(client: ClientLike, issuer: string): PageApp {
  const logo = client.logoUri && (client.logoUri.startsWith('https://') || client.logoUri.startsWith(`${issuer}/`)) ? client.logoUri : undefined;
  return { name: client.clientName ?? client.clientId, logoUrl: logo };
}

/** `onStoreWrite`: the embedded store's writes, when it is the store: an account's branding is then read once (adapters/embedded-reads.ts). */
export function createBrandingFeatures(deps: { knex: Knex; onStoreWrite?: OnStoreWrite; orgs: OrganizationStore; audit: AuditLog; issuer: string }) {
  const store = deps.onStoreWrite ? rememberBrandingReads(createKnexBrandingStore(deps.knex), deps.onStoreWrite) : createKnexBrandingStore(deps.knex);
  const service = createBrandingService({ store, orgs: deps.orgs, audit: deps.audit });

  /** Records the brand of `nodeId` (any organization or business group) for this request's pages. */
  async function useOrganization(nodeId: string | undefined | null) {
    if (!nodeId) return false;
    const brand = await service.brandOf(nodeId);
    if (brand) pageContext().brand = pageBrandOf(brand);
    return Boolean(brand);
  }

  /**
   * Tells each page which organization (and app) it is about, before its route runs, so its error
   * pages are branded too. Routes keep no branding code. Sources, most specific first:
   * a sign-in page: the domain typed at "Use custom domain" or the RP's domain_hint, the client's
   * organization_id, then the account the flow identified; profile and admin pages: the signed-in
   * account; invitation pages: the invitation.
   */
  function pageBranding(sources: {
    provider: Provider;
    organizationOfDomain(domain: string): Promise<string | undefined>;
    signedInAccount(ctx: Context): Promise<string | undefined>;
    invitationOrganization(token: string): Promise<string | undefined>;
  }): Middleware {
    return async (ctx, next) => {
      const [, first, second] = ctx.path.split('/');
      try {
        if (first === 'interaction' && second) await brandInteraction(ctx, second);
        else if (first === 'account' || first === 'admin') {
          const accountId = await sources.signedInAccount(ctx);
          if (accountId) {
            const brand = await service.brandOfAccount(accountId);
            if (brand) pageContext().brand = pageBrandOf(brand);
          }
        } else if (first === 'invitations' && second) await useOrganization(await sources.invitationOrganization(second));
      } catch {
        // Branding is decoration: a lookup that fails (an expired interaction, a bad token) leaves the default look.
      }
      return next();
    };

    async function brandInteraction(ctx: Context, uid: string) {
      // The request's own interaction (the login engine reuses the lookup), unless the page is
      // about another one or the provider refused it: then the one the path names, as before.
      const ofRequest = await interactionOfRequest(sources.provider, ctx).catch(() => undefined);
      const interaction = ofRequest?.uid === uid ? ofRequest : await sources.provider.Interaction.find(uid);
      if (!interaction) return;
      const params = interaction.params as Record<string, unknown>;
      const clientId = typeof params.client_id === 'string' ? params.client_id : undefined;
      const client = clientId && clientId !== ACCOUNT_CLIENT_ID ? ((await sources.provider.Client.find(clientId)) as unknown as ClientLike | undefined) : undefined;
      if (client) pageContext().app = appOf(client, deps.issuer);
      const typed = ctx.method === 'POST' && ctx.path.endsWith('/domain') ? (ctx.request.body as { domain?: unknown } | undefined)?.domain : undefined;
      const domain = typeof typed === 'string' ? hintedDomain([typed]) : hintedDomain([params.domain_hint, params.login_hint]);
      if (domain && (await useOrganization(await sources.organizationOfDomain(domain)))) return;
      if (await useOrganization(client?.organization_id)) return;
      const accountId = (interaction.result as { flow?: { accountId?: string } } | undefined)?.flow?.accountId;
      if (accountId) {
        const brand = await service.brandOfAccount(accountId);
        if (brand) pageContext().brand = pageBrandOf(brand);
      }
    }
  }

  return { service, assets: assetRouter(service), apiRoutes: brandingRoutes(service, deps.issuer), pageBranding, useOrganization };
}
