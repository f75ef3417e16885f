// Composition of the federation feature (issue 6): external OIDC identity providers per organization,
// custom-domain sign-in, "SSO required", profile linking. app.ts builds this once, before the method
// registry (the upstream method and the SSO-required rule of the password method come from here), then
// asks it for the login-flow extension, the profile's "Logged In Via" routes and the admin pages/API.
import type { Knex } from 'knex';
import type { AccountStore } from '../accounts/account.ts';
import type { AuditLog, AuditReader } from '../accounts/audit.ts';
import type { FactorMarksStore } from '../accounts/reauthentication.ts';
import { createKnexFederationStore } from '../adapters/federation-store.ts';
import { rememberIdentityProviderButtons, type OnStoreWrite } from '../adapters/embedded-reads.ts';
import { createFederatedSignIn } from '../federation/federated-sign-in.ts';
import { createIdentityProviderAdmin } from '../federation/identity-provider-admin.ts';
import { createLinking } from '../federation/linking.ts';
import { createSignInSettings } from '../federation/sign-in-settings.ts';
import { createSsoPolicy } from '../federation/sso-policy.ts';
import { createUpstreamClient, type Sealer } from '../federation/upstream-client.ts';
import type { AccountSession } from '../interactions/account-session.ts';
import type { Csrf } from '../interactions/csrf.ts';
import { createFederationSteps } from '../interactions/federation-routes.ts';
import type { SignInLink } from '../interactions/login/steps/credentials.ts';
import { createLinkedProfilesRoutes } from '../interactions/linked-profiles-routes.ts';
import type { UpstreamMethod } from '../interactions/methods/upstream-method.ts';
import { federationRoutes } from './admin-api/federation-routes.ts';
import { identityProviderPages } from './admin-pages/identity-provider-pages.ts';
import type { StateAdapter as SharedStateAdapter } from '../adapters/state-adapter.ts';

type StateAdapter = Pick<SharedStateAdapter, 'upsert' | 'find' | 'destroy'>;

/** Reference: "Click Use custom domain" under the sign-in form (":uid" names the sign-in). */
export const CUSTOM_DOMAIN_LINK: SignInLink = { id: 'custom-domain', text: 'page.sign_in.custom_domain', href: '/interaction/:uid/domain' };

export function createFederationFeatures(deps: {
  knex: Knex;
  /** The embedded store's writes, when it is the store: its sign-in buttons are then read once (adapters/embedded-reads.ts). */
  onStoreWrite?: OnStoreWrite;
  box: Sealer;
  audit: AuditLog;
  auditReader: AuditReader;
  issuer: string;
  allowHttpIssuers: boolean;
  /** Gatehouse's private signing JWKs, active first: private_key_jwt at IdPs signs with the first RSA one. */
  signingJwks?: Record<string, unknown>[];
  logger?: { warn(obj: Record<string, unknown>, msg: string): void };
}) {
  const store = deps.onStoreWrite ? rememberIdentityProviderButtons(createKnexFederationStore(deps.knex), deps.onStoreWrite) : createKnexFederationStore(deps.knex);
  const redirectUri = `${deps.issuer}/federation/callback`;
  const upstream = createUpstreamClient({ box: deps.box, redirectUri, allowHttpIssuers: deps.allowHttpIssuers, clientAssertionKey: deps.signingJwks ? clientAssertionKeyFrom(deps.signingJwks) : undefined });
  const linking = createLinking({ store, audit: deps.audit });
  const signIn = createFederatedSignIn({ store, upstream, linking, audit: deps.audit, logger: deps.logger });
  const ssoPolicy = createSsoPolicy({ store });
  const idps = createIdentityProviderAdmin({
    store,
    box: deps.box,
    audit: deps.audit,
    allowHttpIssuers: deps.allowHttpIssuers,
    redirectUri,
    onChange: (id) => upstream.forget(id),
  });
  const settings = createSignInSettings({ store, audit: deps.audit });

  return {
    store,
    signIn,
    linking,
    ssoPolicy,
    idps,
    settings,
    redirectUri,
    /** For the method registry: the upstream method and the password method's SSO-required rule. */
    methods: { signIn, linking, ssoPolicy },
    /** For the organizations feature: admin API routes and the Identity Providers pages. */
    admin: { apiRoutes: federationRoutes({ idps, settings, redirectUri }), pages: identityProviderPages({ idps, settings, redirectUri }) },

    /** The login flow's federation steps and the /federation/callback router. */
    interactions(input: { upstream: UpstreamMethod; accounts: AccountStore; marks: FactorMarksStore }) {
      return createFederationSteps({ upstream: input.upstream, signIn, linking, store, accounts: input.accounts, marks: input.marks });
    },

    /** The profile's "Logged In Via" section and its link/unlink routes. */
    profile(input: { session: AccountSession; csrf: Csrf; pendingState: (model: string) => StateAdapter }) {
      return createLinkedProfilesRoutes({
        session: input.session,
        csrf: input.csrf,
        signIn,
        linking,
        store,
        pendingState: input.pendingState,
        async lastLocalSignIn(accountId) {
          const events = await deps.auditReader.signInsOf(accountId, 50);
          const local = events.find((e) => e.outcome === 'success' && Array.isArray(e.details?.amr) && (e.details.amr as string[]).includes('pwd'));
          return local?.occurredAt ?? null;
        },
      });
    },
  };
}

export type FederationFeatures = ReturnType<typeof createFederationFeatures>;

/**
 * private_key_jwt (RFC 7523 §2.2) at upstream IdPs: signed with Gatehouse's active RS256 key, whose
 * public half IdPs fetch from <ISSUER>/jwks (the same key set that verifies Gatehouse's ID tokens).
 */
function clientAssertionKeyFrom(jwks: Record<string, unknown>[]) {
  let imported: Promise<{ key: CryptoKey; kid?: string }> | undefined;
  return () => {
    imported ??= (async () => {
      const jwk = jwks.find((k) => k.kty === 'RSA' && (k.alg === undefined || k.alg === 'RS256'));
      if (!jwk) throw new Error('no RSA signing key for private_key_jwt');
      const key = await crypto.subtle.importKey('jwk', jwk as JsonWebKey, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
      return { key, kid: typeof jwk.kid === 'string' ? jwk.kid : undefined };
    })();
    return imported;
  };
}
