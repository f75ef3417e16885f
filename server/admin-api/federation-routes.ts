// The admin API's federation routes (issue 6): the organization's external OIDC identity providers,
// "Test connection", and its sign-in settings (domains, SSO required, profile linking). Same shape as
// routes.ts: zod schemas validate, the OpenAPI document is generated from them, the services check
// permissions. A client secret goes in, never out: responses say only whether one is stored.
import { z } from 'zod';
import 'zod-openapi';
import type { IdentityProviderAdmin } from '../../federation/identity-provider-admin.ts';
import { TOKEN_ENDPOINT_AUTH_METHODS, type IdentityProvider } from '../../federation/identity-provider.ts';
import type { SignInSettingsService } from '../../federation/sign-in-settings.ts';
import { route, type Route } from './route.ts';
import { idParams } from './schemas.ts';

const claimName = z.string().min(1).max(100);
const claimMappingSchema = z
  .object({
    subject: claimName.meta({ description: 'Claim with the IdP’s stable user identifier (never an email)', example: 'sub' }),
    email: claimName.meta({ example: 'email' }),
    emailVerified: claimName.meta({ example: 'email_verified' }),
    name: claimName.meta({ example: 'name' }),
  })
  .meta({ id: 'ClaimMapping' });

export const identityProviderSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    protocol: z.literal('oidc').meta({ description: 'Only OpenID Connect is supported' }),
    issuer: z.string().meta({ description: 'Issuer URL; its discovery document is at <issuer>/.well-known/openid-configuration' }),
    clientId: z.string(),
    hasClientSecret: z.boolean().meta({ description: 'Whether a client secret is stored (sealed at rest; never returned)' }),
    scopes: z.array(z.string()),
    claimMapping: claimMappingSchema,
    tokenEndpointAuthMethod: z.enum(TOKEN_ENDPOINT_AUTH_METHODS).meta({ description: 'How Gatehouse authenticates at the IdP’s token endpoint; private_key_jwt signs with Gatehouse’s key (published at <issuer>/jwks)' }),
    showButton: z.boolean().meta({ description: 'Show “Sign in with <name>” on the sign-in page' }),
    provisionUsers: z.boolean().meta({ description: 'Create an account in the organization on a first sign-in with no linked account' }),
    enabled: z.boolean(),
    redirectUri: z.string().meta({ description: 'Register this redirect URI at the identity provider' }),
    createdAt: z.iso.datetime({ offset: true }),
    updatedAt: z.iso.datetime({ offset: true }),
  })
  .meta({ id: 'IdentityProvider' });

const idpFields = {
  name: z.string().max(200),
  issuer: z.string().max(600),
  clientId: z.string().max(400),
  clientSecret: z.string().max(1000).meta({ description: 'Write-only. Omit to keep the stored secret; "" removes it (a public client)' }),
  scopes: z.array(z.string().max(100)).max(20).meta({ description: 'Must include openid; default openid email profile' }),
  claimMapping: claimMappingSchema.partial(),
  tokenEndpointAuthMethod: z.enum(TOKEN_ENDPOINT_AUTH_METHODS).meta({ description: 'Default client_secret_basic' }),
  showButton: z.boolean(),
  provisionUsers: z.boolean(),
  enabled: z.boolean(),
};

export const createIdentityProviderBody = z
  .strictObject({ ...idpFields, protocol: z.literal('oidc').optional() })
  .partial({ clientSecret: true, scopes: true, claimMapping: true, tokenEndpointAuthMethod: true, showButton: true, provisionUsers: true, enabled: true })
  .meta({ id: 'CreateIdentityProvider' });
export const updateIdentityProviderBody = z.strictObject(idpFields).partial().meta({ id: 'UpdateIdentityProvider' });

const identityProviderList = z.object({ items: z.array(identityProviderSchema) }).meta({ id: 'IdentityProviderList' });

export const connectionReportSchema = z
  .object({
    ok: z.boolean(),
    checks: z.array(z.object({ id: z.string(), ok: z.boolean(), level: z.enum(['ok', 'warning', 'error']), message: z.string() })),
  })
  .meta({ id: 'ConnectionReport' });

export const signInSettingsSchema = z
  .object({
    domains: z.array(z.string()).meta({ description: 'Custom-domain sign-in; each unique across Gatehouse' }),
    ssoRequired: z.boolean().meta({ description: 'Members can’t sign in with a Gatehouse password (service accounts excepted)' }),
    allowProfileLinking: z.boolean().meta({ description: 'Off by default; only an administrator (a person, not an app) can change it' }),
  })
  .meta({ id: 'SignInSettings' });
export const updateSignInSettingsBody = z
  .strictObject({ domains: z.array(z.string().max(300)).max(100), ssoRequired: z.boolean(), allowProfileLinking: z.boolean() })
  .partial()
  .meta({ id: 'UpdateSignInSettings' });

export function federationRoutes(deps: { idps: IdentityProviderAdmin; settings: SignInSettingsService; redirectUri: string }): Route[] {
  const dto = (i: IdentityProvider) => ({
    id: i.id,
    name: i.name,
    protocol: 'oidc' as const,
    issuer: i.issuer,
    clientId: i.clientId,
    hasClientSecret: i.hasClientSecret,
    scopes: i.scopes,
    claimMapping: i.claimMapping,
    tokenEndpointAuthMethod: i.tokenEndpointAuthMethod,
    showButton: i.showButton,
    provisionUsers: i.provisionUsers,
    enabled: i.enabled,
    redirectUri: deps.redirectUri,
    createdAt: i.createdAt.toISOString(),
    updatedAt: i.updatedAt.toISOString(),
  });
  const settingsDto = (s: { domains: string[]; ssoRequired: boolean; allowProfileLinking: boolean }) => ({ domains: s.domains, ssoRequired: s.ssoRequired, allowProfileLinking: s.allowProfileLinking });
  const tag = 'Identity providers';

  return [
    route({
      method: 'get', path: '/identity-providers', operationId: 'listIdentityProviders', tag, permission: 'idps:manage',
      summary: 'The organization’s external OpenID Connect identity providers', status: 200, response: identityProviderList,
      async handler({ principal }) {
        return { items: (await deps.idps.list(principal)).map(dto) };
      },
    }),
    route({
      method: 'post', path: '/identity-providers', operationId: 'createIdentityProvider', tag, permission: 'idps:manage',
      summary: 'Register an OpenID Connect identity provider (the secret is sealed and never returned)',
      body: createIdentityProviderBody, status: 201, response: identityProviderSchema, errors: { 409: 'idp.limit_reached' },
      async handler({ principal, body }) {
        const { protocol: _protocol, ...input } = body;
        return dto(await deps.idps.create(principal, input));
      },
    }),
    route({
      method: 'get', path: '/identity-providers/:id', operationId: 'getIdentityProvider', tag, permission: 'idps:manage',
      summary: 'One identity provider (never its secret)', params: idParams, status: 200, response: identityProviderSchema,
      async handler({ principal, params }) {
        return dto(await deps.idps.get(principal, params.id));
      },
    }),
    route({
      method: 'patch', path: '/identity-providers/:id', operationId: 'updateIdentityProvider', tag, permission: 'idps:manage',
      summary: 'Change an identity provider; clientSecret replaces the stored secret', params: idParams, body: updateIdentityProviderBody,
      status: 200, response: identityProviderSchema, errors: { 409: 'idp.required_for_sso' },
      async handler({ principal, params, body }) {
        return dto(await deps.idps.update(principal, params.id, body));
      },
    }),
    route({
      method: 'delete', path: '/identity-providers/:id', operationId: 'deleteIdentityProvider', tag, permission: 'idps:manage',
      summary: 'Remove an identity provider (its linked profiles stop signing in)', params: idParams, status: 204,
      errors: { 409: 'idp.required_for_sso' },
      async handler({ principal, params }) {
        await deps.idps.remove(principal, params.id);
      },
    }),
    route({
      method: 'post', path: '/identity-providers/:id/test', operationId: 'testIdentityProvider', tag, permission: 'idps:manage',
      summary: 'Test connection: fetch discovery and JWKS and report what is wrong', params: idParams, status: 200, response: connectionReportSchema,
      async handler({ principal, params }) {
        return deps.idps.test(principal, params.id);
      },
    }),
    route({
      method: 'get', path: '/organization/sign-in-settings', operationId: 'getSignInSettings', tag, permission: 'idps:manage',
      summary: 'Domains, “SSO required” and “Allow profile linking”', status: 200, response: signInSettingsSchema,
      async handler({ principal }) {
        return settingsDto(await deps.settings.get(principal));
      },
    }),
    route({
      method: 'patch', path: '/organization/sign-in-settings', operationId: 'updateSignInSettings', tag, permission: 'idps:manage',
      summary: 'Change sign-in settings (domains replace the list; linking only by an administrator)', body: updateSignInSettingsBody,
      status: 200, response: signInSettingsSchema, errors: { 409: 'domain.taken, sso.no_identity_provider' },
      async handler({ principal, body }) {
        return settingsDto(await deps.settings.update(principal, body));
      },
    }),
  ];
}
