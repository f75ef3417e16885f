// The only `new Provider`. Everything protocol-related is configured here, on purpose.
import { timingSafeEqual } from 'node:crypto';
import Provider, { interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { AccountStore } from '../accounts/account.ts';
import { accountOfRequest } from '../accounts/request-accounts.ts';
import * as limits from '../accounts/security-constants.ts';
import { APP_PERMISSIONS } from '../accounts/permissions.ts';
import { hashClientSecret, type ClientStore } from '../adapters/client-store.ts';
import { ACR_MULTI_FACTOR, ACR_VALUES } from '../accounts/mfa-policy.ts';
import { render } from '../views/render.ts';
import { isProviderApiPath, onlyOnPaths, PROVIDER_ROUTES } from './provider-routes.ts';
import { cookieKeys } from './cookie-keys.ts';
import { clientHome, explainProviderError, renderErrorPage } from './error-pages.ts';
import { applyUiLocales, translatorFor } from '../views/language.ts';
import { LANGUAGE_TAGS } from '../accounts/messages/catalog.ts';

export type AdapterFactory = (model: string) => unknown;

export type ProviderOptions = {
  issuer: string;
  /** Stores provider state (sessions, grants, codes, tokens): SQL or Redis. */
  stateAdapter: AdapterFactory;
  /** Where the provider finds registered clients (the cached oidc_clients table); `peek` answers from the cache alone. */
  clients: Pick<ClientStore, 'find'> & { peek?(clientId: string): Record<string, unknown> | undefined };
  accounts: AccountStore;
  /** Private signing JWKs, active keys first. */
  jwks: Record<string, unknown>[];
  cookieKeys: string[];
  trustProxy: boolean;
  allowPostAuthorization: boolean;
  /**
   * The provider's outgoing HTTP (back-channel logout, client JWKS). oidc-provider refuses loopback and
   * private addresses (SSRF protection) by giving fetch its own dispatcher; tests whose apps listen
   * on 127.0.0.1 pass a fetch that ignores it. Never set in production.
   */
  fetch?: typeof fetch;
  /** Consent people gave third-party apps, remembered across sessions (accounts/app-consents.ts). */
  consents?: { find(accountId: string, clientId: string): Promise<{ scopes: string[]; claims: string[] } | undefined> };
};

export const SCOPES = ['openid', 'offline_access', 'profile', 'email', 'phone', 'org'];

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export function createProvider(options: ProviderOptions): Provider {
  const { accounts, clients } = options;
  const issuerIsLoopback = LOOPBACK.has(new URL(options.issuer).hostname);

  // Clients come from the oidc_clients table; the rest of the state from the chosen adapter.
  // A disabled application is unknown to the protocol: sign-ins and token requests get invalid_client
  // (renderError explains it on pages); re-enabling restores it, since nothing else was removed.
  const enabled = <T extends Record<string, unknown>>(metadata: T | undefined) => (metadata && metadata.disabled !== true ? metadata : undefined);
  const clientAdapter = {
    find: async (id: string) => enabled(await clients.find(id)),
    upsert: async () => {
      throw new Error('clients are registered through the CLI or the admin API');
    },
    destroy: async () => {},
  };
  const adapter = (model: string) => (model === 'Client' ? clientAdapter : options.stateAdapter(model));

  const configuration: Configuration = {
    adapter: adapter as unknown as Configuration['adapter'],
    routes: PROVIDER_ROUTES,
    jwks: { keys: options.jwks as never },
    cookies: {
      keys: options.cookieKeys,
      // POST to /auth and /session/end arrives cross-site, so it needs SameSite=None (oidc-provider 9).
      long: { signed: true, httpOnly: true, sameSite: options.allowPostAuthorization ? 'none' : 'lax' },
      short: { signed: true, httpOnly: true, sameSite: options.allowPostAuthorization ? 'none' : 'lax' },
    },
    enableHttpPostMethods: options.allowPostAuthorization,

    async findAccount(ctx, sub) {
      // The provider asks several times per request (session check, claims, ID token): one query each request.
      const account = await accountOfRequest(ctx?.state, accounts, sub);
      if (!account) return undefined;
      return {
        accountId: account.id,
        async claims() {
          return {
            sub: account.id,
            name: account.name ?? account.username,
            preferred_username: account.username,
            email: account.email,
            email_verified: account.emailVerified,
            phone_number: account.phoneNumber ?? undefined,
            phone_number_verified: account.phoneNumber ? false : undefined,
            org: account.organization ? { id: account.organization.id, name: account.organization.name } : undefined,
          };
        },
      };
    },
    claims: {
      sid: null,
      iss: null,
      // acr/amr/auth_time ride on the openid scope so every ID token states how the login happened
      // (known pitfall: claims not listed here are masked out of the ID token).
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
      phone: ['phone_number', 'phone_number_verified'],
      org: ['org'],
    },
    // Admin API permissions are scopes too, so a connected app gets only those it is registered with.
    scopes: [...SCOPES, ...APP_PERMISSIONS],
    // Scope claims go into the ID token too, so email_verified there follows "Verify Email" (OIDC Core §5.4).
    conformIdTokenClaims: false,
    acrValues: ACR_VALUES,
    // Outgoing requests (back-channel logout, JWKS URIs) keep oidc-provider's SSRF guard, which refuses
    // loopback and private addresses. Only a development server (ISSUER on a loopback host) may reach
    // an app on the same machine (http://localhost back-channel logout URIs).
    fetch: (options.fetch as Configuration['fetch'] | undefined) ?? ((url, init) => {
      if (issuerIsLoopback && LOOPBACK.has(new URL(url instanceof Request ? url.url : url).hostname)) delete (init as { dispatcher?: unknown }).dispatcher;
      return globalThis.fetch(url, init);
    }),
    // Gatehouse's own registration fields (accounts/application.ts writes them).
    extraClientMetadata: { properties: ['first_party', 'organization_id', 'web_origins', 'gatehouse_kind', 'disabled', 'created_at', 'connected_app'] },
    // CORS on token, userinfo, revocation, introspection: only the calling app's registered web origins.
    clientBasedCORS(_ctx, origin, client) {
      const origins = (client as unknown as { web_origins?: unknown }).web_origins;
      return Array.isArray(origins) && origins.includes(origin);
    },
    // An RP may name the person's organization to go straight to its IdP (federation; login_hint with a domain works too).
    extraParams: ['domain_hint'],

    // RFC 9700 §2.1.1: code flow only, PKCE S256 for every client (oidc-provider 9 knows no other method).
    responseTypes: ['code'],
    pkce: { required: () => true },
    allowOmittingSingleRegisteredRedirectUri: false,
    // OIDC Discovery §3: the languages of our pages (ui_locales) and of claims (claims_locales: accepted;
    // claims are returned as stored, so only the default language is advertised for them).
    discovery: {
      claim_types_supported: ['normal'],
      ui_locales_supported: [...LANGUAGE_TAGS],
      claims_locales_supported: [...LANGUAGE_TAGS],
    },

    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    // Asymmetric algorithms only: secrets are stored hashed, so HS* cannot work, and never `none`.
    enabledJWA: {
      clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      idTokenSigningAlgValues: ['RS256', 'ES256', 'PS256'],
      requestObjectSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      userinfoSigningAlgValues: ['RS256', 'ES256', 'PS256'],
      introspectionSigningAlgValues: ['RS256', 'ES256', 'PS256'],
      authorizationSigningAlgValues: ['RS256', 'ES256', 'PS256'],
    },

    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // OIDC Core §5.5: an RP may ask for claims such as email_verified in the ID token itself.
      claimsParameter: { enabled: true },
      // A client may introspect only its own tokens; resource servers get their own policy later.
      introspection: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      // A client may revoke only its own tokens (RFC 7009 §2.1).
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      userinfo: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.type = 'html';
          applyUiLocales(ctx.oidc.params?.ui_locales);
          ctx.body = render('logout', { title: 'page.logout.title', form, clientName: ctx.oidc.client?.clientName });
        },
        async postLogoutSuccessSource(ctx) {
          ctx.type = 'html';
          applyUiLocales(ctx.oidc.params?.ui_locales);
          ctx.body = render('logged-out', { title: 'page.logged_out.title', clientName: ctx.oidc.client?.clientName });
        },
      },
    },
    // Reached only when the error can't go back to the client's redirect_uri (unknown client, unregistered
    // redirect_uri...): our page, in plain words, with the client's home page as the way back when it has one.
    async renderError(ctx, out) {
      ctx.type = 'html';
      applyUiLocales(ctx.oidc?.params?.ui_locales);
      const clientId = typeof ctx.oidc?.params?.client_id === 'string' ? ctx.oidc.params.client_id : undefined;
      const registered = out.error === 'invalid_client' && clientId ? await clients.find(clientId) : undefined;
      if (registered?.disabled === true) {
        // A disabled application (issue 9) is refused with a page that says so, not "not registered".
        ctx.body = renderErrorPage({
          status: ctx.status,
          code: 'application.disabled',
          description: translatorFor().t('application.disabled_sign_in', { app: String(registered.client_name ?? clientId) }),
        });
        return;
      }
      ctx.body = renderErrorPage({
        status: ctx.status,
        code: out.error,
        description: explainProviderError(out.error, out.error_description),
        back: clientHome(ctx.oidc?.client as never),
      });
    },

    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}`, policy: loginPolicy() },

    // First-party clients (flag on the client) get their grant without a consent page: Gatehouse's own
    // (no organization) for everyone, an organization's only for that organization's people. Others
    // start from the consent the person gave before (remembered across sessions), so only new scopes are asked.
    async loadExistingGrant(ctx) {
      const { client, session } = ctx.oidc;
      const grantId = ctx.oidc.result?.consent?.grantId || (client && session?.grantIdFor(client.clientId));
      const existing = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
      if (!client || !session?.accountId) return existing;
      const meta = client as unknown as { first_party?: boolean; organization_id?: string | null };
      let firstParty = meta.first_party === true;
      if (firstParty && meta.organization_id) {
        const account = await accountOfRequest(ctx.state, accounts, session.accountId);
        firstParty = account?.organization?.id === meta.organization_id;
      }
      if (!firstParty) {
        if (existing || !options.consents) return existing;
        const remembered = await options.consents.find(session.accountId, client.clientId);
        if (!remembered) return undefined;
        const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
        grant.addOIDCScope(remembered.scopes.join(' '));
        if (remembered.claims.length) grant.addOIDCClaims(remembered.claims);
        await grant.save();
        return grant;
      }
      const grant = existing ?? new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
      const claims = [...(ctx.oidc.requestParamClaims ?? [])];
      if (claims.length) grant.addOIDCClaims(claims);
      await grant.save();
      return grant;
    },

    // Refresh tokens: rotated on every use; presenting a rotated one revokes the grant (oidc-provider does this).
    rotateRefreshToken: () => true,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),

    ttl: {
      AccessToken: limits.ACCESS_TOKEN_TTL,
      AuthorizationCode: limits.AUTHORIZATION_CODE_TTL,
      ClientCredentials: limits.CLIENT_CREDENTIALS_TTL,
      IdToken: limits.ID_TOKEN_TTL,
      Interaction: limits.INTERACTION_TTL,
      Grant: limits.GRANT_TTL,
      RefreshToken: (ctx, token) => remainingOfSession(token.iat, limits.REFRESH_TOKEN_TTL),
      // Idle timeout, capped by the absolute lifetime: each save of the session pushes expiry by the idle window.
      Session: (_ctx, session) =>
        Math.min(limits.SESSION_IDLE_TTL, remainingOfSession(session.iat, limits.SESSION_ABSOLUTE_TTL)),
    },
  };

  const provider = new Provider(options.issuer, configuration);
  provider.proxy = options.trustProxy;
  // The provider's own context checks its cookies with these too (keygrip's comparison makes a
  // random HMAC key per cookie read; server/cookie-keys.ts).
  provider.keys = cookieKeys(options.cookieKeys);

  // Secrets are stored as digests (adapters/client-store.ts): compare digests in constant time.
  provider.Client.prototype.compareClientSecret = function compareClientSecret(this: { clientSecret?: string }, actual: string) {
    const expected = Buffer.from(this.clientSecret ?? '');
    const presented = Buffer.from(hashClientSecret(actual));
    return expected.length === presented.length && timingSafeEqual(expected, presented);
  };
  // JSON endpoints never answer with that page.
  provider.use(onlyOnPaths((path) => !isProviderApiPath(path), translateAutoSubmitPage));
  reuseBuiltClients(provider, clientAdapter, (id) => enabled(clients.peek?.(id)));
  return provider;
}

const AUTO_SUBMIT_TITLE = '<title>Submitting Callback</title>';

/**
 * oidc-provider's own auto-submitting page (a form_post response, a sign-out without a session) has
 * English fixed in the library: its title and its no-JavaScript text and button are swapped for the
 * reader's language. Its inline script (allowed by hash) is left untouched.
 */
async function translateAutoSubmitPage(ctx: KoaContextWithOIDC, next: () => Promise<void>) {
  await next();
  if (typeof ctx.body !== 'string' || !ctx.body.includes(AUTO_SUBMIT_TITLE)) return;
  applyUiLocales(ctx.oidc?.params?.ui_locales);
  const { t, lang } = translatorFor();
  const html = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  ctx.body = ctx.body
    .replace('<html>', `<html lang="${html(lang)}">`)
    .replace(AUTO_SUBMIT_TITLE, `<title>${html(t('page.auto_submit.title'))}</title>`)
    .replace("Your browser does not support JavaScript or you've disabled it.", html(t('page.auto_submit.no_javascript')))
    .replace('<button autofocus type="submit">Continue</button>', `<button autofocus type="submit">${html(t('page.continue'))}</button>`);
}

/**
 * The library's prompts, plus: a client asking for the multi-factor ACR (acr_values) gets a new
 * login when the session's login was single-factor. max_age is enforced by the library itself.
 */
function loginPolicy() {
  const { base, Check } = interactionPolicy;
  const policy = base();
  policy.get('login')!.checks.add(
    new Check('mfa_requested', 'the client requested multi-factor authentication', (ctx) => {
      const requested = String(ctx.oidc.params?.acr_values ?? '').split(' ');
      return requested.includes(ACR_MULTI_FACTOR) && ctx.oidc.session?.acr !== ACR_MULTI_FACTOR
        ? Check.REQUEST_PROMPT
        : Check.NO_NEED_TO_PROMPT;
    }),
  );
  return policy;
}

function remainingOfSession(iat: number | undefined, absolute: number) {
  const issued = iat ?? Math.floor(Date.now() / 1000);
  return Math.max(1, issued + absolute - Math.floor(Date.now() / 1000));
}

export type { KoaContextWithOIDC };

/**
 * oidc-provider rebuilds nothing for a client whose metadata is unchanged, but to know that it hashes
 * the JSON of the metadata on every lookup (every token request). The client cache hands out the same
 * metadata object until the client changes (or its entry expires), so the built Client is remembered
 * per metadata object instead: a changed client is a new object, hence a new lookup, at once. A client
 * fresh in the cache gets the same settled promise back without an async step (`cached`).
 */
function reuseBuiltClients(
  provider: Provider,
  clientAdapter: { find(id: string): Promise<object | undefined> },
  cached: (id: string) => object | undefined,
) {
  type Built = Awaited<ReturnType<typeof provider.Client.find>>;
  const Client = provider.Client as unknown as { find(id: string): Promise<Built> };
  const find = Client.find.bind(Client);
  const built = new WeakMap<object, Promise<NonNullable<Built>>>();
  const lookUp = async (id: string) => {
    const metadata = typeof id === 'string' && id ? await clientAdapter.find(id) : undefined;
    if (!metadata) return find(id);
    const known = built.get(metadata);
    if (known) return known;
    const client = await find(id);
    if (client) built.set(metadata, Promise.resolve(client));
    return client;
  };
  Client.find = (id: string) => {
    const metadata = typeof id === 'string' ? cached(id) : undefined;
    return (metadata && built.get(metadata)) || lookUp(id);
  };
}
