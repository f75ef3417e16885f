// Composition of the applications feature (issue 9): the application service (admin API, pages and
// CLI share it), deletion that revokes what an app held, remembered consent and "Apps with access",
// and the protocol touches on the provider (consent recorded at resume, JSON revocation responses).
import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AuditLog } from '../accounts/audit.ts';
import { toClientMetadata } from '../accounts/application.ts';
import { createApplications } from '../accounts/applications.ts';
import { createAppAccess, type AppConsentStore } from '../accounts/app-consents.ts';
import { createKnexApplicationStore } from '../adapters/application-store.ts';
import { createClientRevocation } from '../adapters/client-grant-index.ts';
import type { StateAdapterFactory } from '../adapters/state-adapter.ts';
import type { AccountSession } from '../interactions/account-session.ts';
import type { Csrf } from '../interactions/csrf.ts';
import { createAccountAppsRoutes } from '../interactions/account-apps-routes.ts';
import type { Logger } from './logger.ts';
import { isResumePath, onlyOnPaths, PROVIDER_ROUTES } from './provider-routes.ts';

export function createApplicationFeatures(deps: {
  knex: Knex;
  provider: Provider;
  stateAdapter: StateAdapterFactory;
  audit: AuditLog;
  consents: AppConsentStore;
  /** Evicts a changed client from every process's client cache. */
  announce: (clientId: string) => void;
  session: AccountSession;
  csrf: Csrf;
  logger: Logger;
}) {
  const { provider } = deps;
  const revocation = createClientRevocation({ knex: deps.knex, stateAdapter: deps.stateAdapter });
  const applications = createApplications({
    store: createKnexApplicationStore(deps.knex),
    audit: deps.audit,
    announce: deps.announce,
    retire: async (clientId) => {
      await revocation.revokeClient(clientId);
    },
    // oidc-provider's own client schema has the last word: what it would refuse is never stored.
    checkMetadata: async (app) => {
      try {
        await (provider.Client as unknown as { validate(m: unknown): Promise<void> }).validate({
          ...toClientMetadata(app),
          ...(app.kind === 'web' || app.kind === 'service' ? { client_secret: 'x'.repeat(43) } : {}),
        });
        return undefined;
      } catch (err) {
        return (err as { error_description?: string }).error_description ?? (err as Error).message;
      }
    },
  });
  const access = createAppAccess({ store: deps.consents, audit: deps.audit, revoke: (accountId, clientId) => revocation.revokeAccountClient(accountId, clientId) });

  provider.use(onlyOnPaths((path) => path === PROVIDER_ROUTES.revocation || isResumePath(path), async (ctx: KoaContextWithOIDC, next) => {
    await next();
    const route = ctx.oidc?.route;
    // RFC 7009 lets clients ignore the body, but widely used SPA libraries check the content type.
    if (route === 'revocation' && ctx.status === 200 && !ctx.body) {
      ctx.type = 'application/json';
      ctx.body = {};
    }
    // The consent just given is remembered for later sessions (third-party apps; first-party skip it).
    const grantId = route === 'resume' ? (ctx.oidc.result?.consent as { grantId?: string } | undefined)?.grantId : undefined;
    if (grantId) {
      const grant = await provider.Grant.find(grantId);
      if (grant?.accountId && grant.clientId) {
        const scopes = String(grant.getOIDCScope() ?? '').split(' ').filter(Boolean);
        const claims = (grant.getOIDCClaims?.() ?? []) as string[];
        await deps.consents.remember(grant.accountId, grant.clientId, scopes, claims).catch((err) => deps.logger.error({ err }, 'could not remember consent'));
      }
    }
  }));

  const routers = [createAccountAppsRoutes({ session: deps.session, csrf: deps.csrf, access })];
  return { applications, access, revocation, routers };
}

export type ApplicationFeatures = ReturnType<typeof createApplicationFeatures>;
