// Authenticates admin API calls with Gatehouse's own opaque access tokens, looked up in-process:
//  - a user's access token issued to a first-party client (the admin pages, a first-party console);
//  - a connected app's client-credentials token (its client carries `organization_id`).
// Checks: bearer syntax, token exists and is unexpired, not sender-constrained (no DPoP/mTLS proof is
// checked here), the client still exists, the user's grant still exists; the principal's organization.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { appPrincipal, userPrincipal, type Principal } from '../../accounts/access.ts';
import { DomainError } from '../../accounts/errors.ts';
import type { OrganizationStore } from '../../accounts/organization.ts';

export class Unauthenticated extends DomainError {
  constructor(code: 'auth.missing_token' | 'auth.invalid_token') {
    super(code, { status: 401 });
  }
}

type ClientLike = { clientId: string; scope?: string; [key: string]: unknown };
type TokenLike = { clientId?: string; accountId?: string; grantId?: string; scope?: string; jkt?: string; 'x5t#S256'?: string };

export function createBearerAuth(deps: { provider: Provider; orgs: OrganizationStore }) {
  const { provider, orgs } = deps;

  return async function authenticate(ctx: Context): Promise<Principal> {
    const header = ctx.get('authorization');
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header);
    if (!match) {
      ctx.set('WWW-Authenticate', 'Bearer realm="gatehouse-admin"');
      throw new Unauthenticated('auth.missing_token');
    }
    const value = match[1];
    const request = { ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined };
    const invalid = () => {
      ctx.set('WWW-Authenticate', 'Bearer realm="gatehouse-admin", error="invalid_token"');
      return new Unauthenticated('auth.invalid_token');
    };
    if (value.length > 512) throw invalid();

    const userToken = (await provider.AccessToken.find(value)) as TokenLike | undefined;
    if (userToken) {
      if (userToken.jkt || userToken['x5t#S256'] || !userToken.accountId || !userToken.clientId || !userToken.grantId) throw invalid();
      const client = (await provider.Client.find(userToken.clientId)) as ClientLike | undefined;
      if (!client || client.first_party !== true) {
        throw new DomainError('auth.client_not_allowed', { status: 403 });
      }
      const grant = await provider.Grant.find(userToken.grantId);
      if (!grant || grant.accountId !== userToken.accountId) throw invalid();
      const principal = await userPrincipal(orgs, userToken.accountId, request);
      if (!principal) throw new DomainError('auth.no_organization', { status: 403 });
      // An organization's own first-party app acts for that organization's people only: an administrator
      // can't mark their app first party and use other organizations' people's tokens here.
      if (typeof client.organization_id === 'string' && client.organization_id !== principal.organizationId) {
        throw new DomainError('auth.client_not_allowed', { status: 403 });
      }
      return principal;
    }

    const appToken = (await provider.ClientCredentials.find(value)) as TokenLike | undefined;
    if (appToken) {
      if (appToken.jkt || appToken['x5t#S256'] || !appToken.clientId) throw invalid();
      const client = (await provider.Client.find(appToken.clientId)) as ClientLike | undefined;
      const organizationId = typeof client?.organization_id === 'string' ? client.organization_id : undefined;
      if (!client || !organizationId || !(await orgs.findNode(organizationId))) {
        throw new DomainError('auth.not_connected_app', { status: 403 });
      }
      return appPrincipal({
        clientId: client.clientId,
        organizationId,
        registeredScopes: String(client.scope ?? '').split(' ').filter(Boolean),
        tokenScopes: appToken.scope?.split(' ').filter(Boolean),
        request,
      });
    }
    throw invalid();
  };
}
