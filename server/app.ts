// Composition root: opens the stores, builds the provider and mounts every surface on one Koa app.
import path from 'node:path';
import fs from 'node:fs/promises';
import { hkdfSync } from 'node:crypto';
import Koa from 'koa';
import Router from '@koa/router';
import compose from 'koa-compose';
import type { AuditLog } from '../accounts/audit.ts';
import { createPasswordHasher, type PasswordHasher } from '../accounts/password-hasher.ts';
import { createKnexAccountStore, knownLanguage } from '../adapters/account-store.ts';
import { accountReadInRequest } from '../accounts/request-accounts.ts';
import { createKnexAuditLog } from '../adapters/audit-store.ts';
import { createClientStore } from '../adapters/client-store.ts';
import { createClientCache, shareClientInvalidations } from '../adapters/client-cache.ts';
import { migrate, openDatabase, type Database } from '../adapters/database.ts';
import { createRedisAdapterFactory } from '../adapters/oidc-redis-adapter.ts';
import { openRedis, redisReady, subscribe } from '../adapters/redis-connection.ts';
import { createSqlAdapterFactory, purgeExpired } from '../adapters/oidc-sql-adapter.ts';
import { cacheStateReads } from '../adapters/state-read-cache.ts';
import { rememberAccountReads } from '../adapters/embedded-reads.ts';
import { createSecretBox } from '../adapters/secret-box.ts';
import { createKnexMfaStore } from '../adapters/mfa-store.ts';
import { createFactorMarksStore } from '../adapters/factor-marks-store.ts';
import { recoveryCodeDigester } from '../accounts/recovery-codes.ts';
import { BRANDING_LOGO_MAX_BYTES, CLIENT_CACHE_TTL_SECONDS, SESSION_ABSOLUTE_TTL } from '../accounts/security-constants.ts';
import { ACCOUNT_CALLBACK_PATH, accountClientMetadata, createAccountSession } from '../interactions/account-session.ts';
import { createCsrf } from '../interactions/csrf.ts';
import { createAccountMfaRoutes } from '../interactions/account-mfa-routes.ts';
import { createMfaManagement } from '../accounts/mfa-management.ts';
import { emailMessages } from '../views/email.ts';
import { usesMfa } from '../accounts/mfa-policy.ts';
import { createMailer } from '../adapters/mailer.ts';
import { createSigningKeyStore } from '../adapters/signing-key-store.ts';
import { createLoginRoutes } from '../interactions/login/login-routes.ts';
import { createJourneyReturn } from '../interactions/journey-return.ts';
import { createResumeJourneyStep } from '../interactions/login/steps/resume-journey.ts';
import { loginSteps } from '../interactions/login/steps/index.ts';
import { createMethodRegistry } from '../interactions/methods/registry.ts';
import { createEmailCodes } from '../accounts/email-codes.ts';
import { createKnexEmailCodeStore } from '../adapters/email-code-store.ts';
import { createPushStore } from '../adapters/push-store.ts';
import { createPushRoutes } from '../interactions/push-routes.ts';
import { createViews, STATIC_DIR } from '../views/render.ts';
import { runWithPageContext } from '../views/page-context.ts';
import { currentLanguage } from '../views/language.ts';
import { renderHome } from './home-page.ts';
import { renderErrorPage, wayBackFromInteraction } from './error-pages.ts';
import { isStoreUnavailable } from '../adapters/store-errors.ts';
import { VENDOR_SCRIPTS } from '../views/vendor.ts';
import { bodyParser } from './body-parser.ts';
import type { Config } from './config.ts';
import { STORE_RETRY_AFTER_SECONDS, StoreUnavailable, errorAnswer, errorHandler, notFoundPage } from './error-handler.ts';
import { createBrandingFeatures, LOGO_UPLOAD_API_PATH, LOGO_UPLOAD_PAGE_PATH } from './branding-features.ts';
import { createKnexOrganizationStore } from '../adapters/organization-store.ts';
import { createLanguageRoutes, requestLanguage } from './language.ts';
import { resolveSecrets } from './local-secrets.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { requestLines, requestLog } from './request-log.ts';
import { createProvider } from './provider.ts';
import { isProviderApiPath, isProviderPath, isResumePath, onlyOnPaths, PROVIDER_ROUTES } from './provider-routes.ts';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { securityHeaders } from './security-headers.ts';
import { apiLane } from './api-lane.ts';
import { issuerOrigin } from './issuer-origin.ts';
import { cookieKeys } from './cookie-keys.ts';
import { inputGuard } from './input-guard.ts';
import { logProtocolErrors } from './protocol-error-log.ts';
import { crossSiteGuard } from './cross-site-guard.ts';
import { loadSigningKeys, SIGNING_KEYS_CHANNEL, watchSigningKeys } from './signing-keys.ts';
import { replaceProviderKeys } from './provider-keys.ts';
import { createAccountStateIndex, createSessionRevoker, indexAccountState } from '../adapters/account-state-index.ts';
import type { StateAdapterFactory } from '../adapters/state-adapter.ts';
import { createSelfServiceRoutes, createSelfServiceServices, SIGN_IN_LINKS } from './self-service.ts';
import { createOrganizationFeatures } from './organization-features.ts';
import { trackSessions } from '../adapters/provider-sessions.ts';
import { createSessionFeatures } from './session-features.ts';
import { DomainError } from '../accounts/errors.ts';
import { createFederationFeatures, CUSTOM_DOMAIN_LINK } from './federation-features.ts';
import { createRedisRateLimitStore, createSqlRateLimitStore } from '../adapters/rate-limit-store.ts';
import { createThrottlePolicy } from '../accounts/throttle.ts';
import { clientAuthThrottle } from './client-auth-throttle.ts';
import { createBackgroundJobs } from '../interactions/self-service/background.ts';
import { indexClientGrants } from '../adapters/client-grant-index.ts';
import { createKnexAppConsentStore } from '../adapters/app-consent-store.ts';
import { createApplicationFeatures } from './application-features.ts';
import { backchannelSettled, installBackchannelLogout } from './backchannel-logout.ts';
import { admitApiRequests } from './api-admission.ts';

/** Paths served by our own routers, whose bodies we parse (everything else belongs to oidc-provider). */
const OWN_BODY_PATHS = ['/language', '/interaction/', '/signup', '/forgot', '/reset', '/account', '/admin', '/api/', '/invitations', '/authenticator/'];

/** How long start-up waits for Redis before serving (and answering 503 where Redis is needed). */
const REDIS_STARTUP_WAIT_MS = 5000;

/** One warning line per this interval while requests are being refused for overload, not one per request. */
const OVERLOAD_LOG_INTERVAL_MS = 10_000;

/** Expired provider rows are swept from SQL this often (Redis expires them itself). */
const SQL_PURGE_INTERVAL_MS = 10 * 60 * 1000;

export type Gatehouse = Awaited<ReturnType<typeof createGatehouse>>;

export async function createGatehouse(
  config: Config,
  options: {
    logger?: Logger;
    hasher?: PasswordHasher;
    database?: Database;
    redisPrefix?: string;
    /** Milliseconds since the epoch; tests move it instead of sleeping. */
    clock?: () => number;
    /** The provider's outgoing fetch (server/provider.ts): tests only. */
    providerFetch?: typeof fetch;
    /** False in cluster workers: the primary migrated before forking (prepareSharedState). */
    migrate?: boolean;
    /** How often the signing keys are re-read (and checked for scheduled rotation); tests shorten it. */
    keyCheckIntervalMs?: number;
  } = {},
) {
  const logger = options.logger ?? createLogger(config.logLevel);
  const secrets = resolveSecrets(config);
  const db = options.database ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  if (options.migrate !== false) await migrate(db.knex);

  const redis = openRedis(config);
  if (redis) {
    redis.on('error', (err) => logger.warn({ err: err.message }, 'redis unavailable'));
    if (!(await redisReady(redis, REDIS_STARTUP_WAIT_MS))) logger.error('redis is not reachable: requests that need it will get 503 until it is');
  }
  const providerStateStore = (): StateAdapterFactory => {
    // oidc-provider's payload type, seen as plain JSON objects
    if (redis) return createRedisAdapterFactory(redis, { prefix: options.redisPrefix }) as unknown as StateAdapterFactory;
    const sql = createSqlAdapterFactory(db.knex) as unknown as StateAdapterFactory;
    // Only this process writes the embedded store, so it can answer its own saves' finds (adapters/state-read-cache.ts).
    return db.kind === 'pglite' ? cacheStateReads(sql) : sql;
  };
  // Sessions and grants are also indexed by account, so a password reset can revoke all of them.
  const accountStateIndex = createAccountStateIndex(db.knex);
  // Ended sessions can't be saved back to life by a request still holding them (adapters/provider-sessions.ts).
  // Grants are also indexed by application, so deleting an app (or "Remove access") revokes what it held.
  const stateAdapter = indexClientGrants(indexAccountState(
    trackSessions(
      providerStateStore(),
      SESSION_ABSOLUTE_TTL,
    ),
    accountStateIndex,
  ), db.knex);
  const purgeTimer = redis ? undefined : setInterval(() => purgeExpired(db.knex).catch(() => {}), SQL_PURGE_INTERVAL_MS).unref();

  const views = createViews({ themeDir: config.themeDir });
  const metrics = createMetrics();
  // Only this process writes the embedded store, so it can answer account reads too (adapters/embedded-reads.ts).
  const accounts = db.onStoreWrite ? rememberAccountReads(createKnexAccountStore(db.knex), db.onStoreWrite) : createKnexAccountStore(db.knex);
  const clients = createClientStore(db.knex);
  const clientCache = createClientCache((id) => clients.find(id), CLIENT_CACHE_TTL_SECONDS);
  const clientChanges = await shareClientInvalidations(redis, clientCache);
  const auditStore = createKnexAuditLog(db.knex);
  // Audit is also where sign-in outcomes are counted, so no feature has to remember metrics.
  const audit: AuditLog = {
    async record(event) {
      if (event.action === 'session.sign_in') metrics.logins.inc({ outcome: event.outcome });
      await auditStore.record(event);
    },
  };
  const hasher = options.hasher ?? createPasswordHasher();
  const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, outboxDir: path.join(config.dataDir, 'outbox') });
  // Throttles of every guessable secret (accounts/throttle.ts): counted in Redis, or in SQL (survives a restart).
  const rateLimits = redis ? createRedisRateLimitStore(redis, { prefix: options.redisPrefix }) : createSqlRateLimitStore(db.knex);
  const throttleJobs = createBackgroundJobs(logger);
  const throttle = createThrottlePolicy({
    store: rateLimits,
    audit,
    mailer,
    messages: emailMessages,
    forgotUrl: `${config.issuer}/forgot`,
    later: throttleJobs.run,
    logger,
    clock: options.clock,
    async findAccount(username) {
      const credential = await accounts.findPasswordCredential(username);
      return credential ? accounts.findById(credential.accountId) : undefined;
    },
  });
  // One key-encryption box for every secret at rest (signing keys, TOTP seeds, IdP client secrets).
  const box = createSecretBox(secrets.kek);
  const keyStore = createSigningKeyStore(db.knex, box);
  const jwks = await loadSigningKeys(keyStore);

  const appConsents = createKnexAppConsentStore(db.knex);
  const provider = createProvider({
    issuer: config.issuer,
    stateAdapter,
    clients: clientCache,
    accounts,
    jwks,
    cookieKeys: secrets.cookieKeys,
    trustProxy: config.trustProxy,
    allowPostAuthorization: config.allowPostAuthorization,
    fetch: options.providerFetch,
    consents: appConsents,
  });
  // Back-channel logout tokens go out in the background, with retries (server/backchannel-logout.ts).
  installBackchannelLogout(provider, { logger });
  // A rotation anywhere (CLI, schedule, another process) reaches this process within KEY_CHECK_INTERVAL_MS.
  const signingKeys = await watchSigningKeys({
    store: keyStore,
    initial: jwks,
    apply: (keys) => replaceProviderKeys(provider, keys),
    rotationDays: config.signingKeyRotationDays,
    intervalMs: options.keyCheckIntervalMs,
    subscribe: redis ? (onMessage) => subscribe(redis, SIGNING_KEYS_CHANNEL, onMessage) : undefined,
    onError: (err) => logger.warn({ err: (err as Error)?.message }, 'signing key check failed'),
    onReload: (kids) => logger.info({ kids }, 'signing keys reloaded'),
  });
  provider.on('grant.success', (ctx) => metrics.tokens.inc({ grant_type: String(ctx.oidc.params?.grant_type ?? 'unknown') }));
  logProtocolErrors(provider, logger);
  provider.on('server_error', (ctx, err) => {
    // A store outage inside the provider becomes a 503 below; anything else is a real server error.
    if (isStoreUnavailable(err)) ctx.state.storeUnavailable = true;
    else logger.error({ err, route: ctx.oidc?.route }, 'provider error');
  });
  provider.on('end_session.success', (ctx) => {
    void audit.record({
      actor: ctx.oidc.session?.accountId ?? null,
      action: 'session.logout',
      outcome: 'success',
      target: ctx.oidc.client?.clientId ?? null,
      ip: ctx.ip,
      userAgent: ctx.get('user-agent'),
    }).catch((err) => logger.error({ err }, 'audit failed'));
  });
  provider.use(onlyOnPaths((path) => path === PROVIDER_ROUTES.revocation, async (ctx: KoaContextWithOIDC, next) => {
    await next();
    if (ctx.oidc?.route === 'revocation' && ctx.status === 200) {
      await audit.record({
        actor: ctx.oidc.client?.clientId ?? null,
        action: 'token.revoke',
        outcome: 'success',
        ip: ctx.ip,
        userAgent: ctx.get('user-agent'),
      });
    }
  }));

  const mfa = createKnexMfaStore(db.knex);
  // Recovery-code digests use a key derived from the KEK, so the database alone can't be brute-forced.
  const recoveryDigest = recoveryCodeDigester(Buffer.from(hkdfSync('sha256', secrets.kek, '', 'gatehouse recovery codes', 32)));
  const marks = createFactorMarksStore(stateAdapter, SESSION_ABSOLUTE_TTL);
  const pushStore = createPushStore({ stateAdapter: stateAdapter, knex: db.knex, mfa });
  // External IdPs, custom-domain sign-in, SSO required, profile linking: issue 6.
  const federation = createFederationFeatures({ knex: db.knex, onStoreWrite: db.onStoreWrite, box, audit, auditReader: auditStore, issuer: config.issuer, allowHttpIssuers: config.federationAllowHttpIssuers, signingJwks: jwks, logger });
  // Emailed sign-in codes (the email-OTP method), HMACed under their own key derived from the KEK.
  const emailCodes = createEmailCodes({ store: createKnexEmailCodeStore(db.knex), secret: Buffer.from(hkdfSync('sha256', secrets.kek, '', 'gatehouse email otp', 32)), throttle: throttle.emailCodes, clock: options.clock });
  const methods = createMethodRegistry({ accounts, hasher, mfa, box, recoveryDigest, issuerName: new URL(config.issuer).host, issuer: config.issuer, audit, clock: options.clock, pushStore, federation: federation.methods, emailCodes, mailer, logger });
  const federationInteractions = federation.interactions({ upstream: methods.upstream!, accounts, marks });
  // The person's sessions (profile → Sessions, the Sign out control) and what a sign-in records: issue 13.
  const sessionFeatures = createSessionFeatures({
    names: methods.names,
    knex: db.knex,
    provider,
    index: accountStateIndex,
    stateAdapter,
    accounts,
    audit,
    mailer,
    messages: emailMessages,
    federation: federation.store,
    issuer: config.issuer,
    // Bound late: the self-service jobs are built after (they end sessions through the revoker below).
    later: (name, job) => selfService.jobs.run(name, job),
    logger,
    clock: options.clock,
  });
  // Password reset and change, MFA reset: sessions end as on the sessions page (tombstone, back-channel logout), then the rest of the grants.
  const sessionRevoker = sessionFeatures.revoker(createSessionRevoker({ index: accountStateIndex, stateAdapter }));
  const selfService = createSelfServiceServices({
    knex: db.knex,
    accounts,
    hasher,
    mailer,
    messages: emailMessages,
    audit,
    revoker: sessionRevoker,
    issuer: config.issuer,
    kek: secrets.kek,
    logger,
    clock: options.clock,
    throttle,
  });
  const mfaManagement = createMfaManagement({
    mfa,
    accounts,
    audit,
    mailer,
    messages: emailMessages,
    recoveryDigest,
    names: methods.names,
    accountUrl: `${config.issuer}/account/mfa`,
    sessions: sessionRevoker,
    logger,
  });
  // Sign-up, forgotten credentials and invitations return to the app's sign-in they started from.
  const journeys = createJourneyReturn({ key: Buffer.from(hkdfSync('sha256', secrets.kek, '', 'gatehouse journey return', 32)), provider, clock: options.clock });
  const { router: interactions } = createLoginRoutes({
    provider,
    methods,
    accounts,
    mfa,
    marks,
    audit,
    clock: options.clock,
    emailVerification: selfService.emailVerification,
    throttle: throttle.signIn,
    steps: [
      ...loginSteps({ mfa, recoveryDigest, mfaChanges: mfaManagement, signInLinks: [...SIGN_IN_LINKS, CUSTOM_DOMAIN_LINK] }),
      ...federationInteractions.steps,
      createResumeJourneyStep({ journeys, accounts }),
    ],
  });
  const push = createPushRoutes({ store: pushStore, audit, serverUrl: config.issuer, throttle: throttle.pushEnrolment, clock: options.clock });
  const accountSession = createAccountSession({
    provider,
    clock: options.clock,
    issuer: config.issuer,
    marks,
    usesMfa: async (accountId) => {
      const account = await accounts.findById(accountId);
      // SSO accounts (no Gatehouse password) rely on their IdP's MFA.
      return account ? usesMfa(account) && !(await federation.ssoPolicy.isSsoAccount(accountId)) : true;
    },
  });
  await clients.create(accountClientMetadata(config.issuer));
  const accountCallback = new Router();
  accountCallback.get(ACCOUNT_CALLBACK_PATH, (ctx) => accountSession.handleCallback(ctx));
  const csrf = createCsrf(Buffer.from(hkdfSync('sha256', secrets.kek, '', 'gatehouse csrf', 32)));
  // Applications (web, SPA, native, service), remembered consent and "Apps with access": issue 9.
  const applicationFeatures = createApplicationFeatures({ knex: db.knex, provider, stateAdapter, audit, consents: appConsents, announce: clientChanges.announce, session: accountSession, csrf, logger });
  const linkedProfiles = federation.profile({ session: accountSession, csrf, pendingState: stateAdapter });
  const selfServiceRoutes = createSelfServiceRoutes(selfService, { session: accountSession, csrf, accounts, mailer, issuer: config.issuer, logger, linkedProfiles: linkedProfiles.section, journeys, methodNames: methods.names });
  const accountSessionsRoutes = sessionFeatures.routes({ session: accountSession, csrf });
  const accountMfa = createAccountMfaRoutes({ session: accountSession, csrf, methods, mfa, management: mfaManagement, accounts, setupState: stateAdapter, isSsoAccount: (id) => federation.ssoPolicy.isSsoAccount(id) });
  // An organization's display name, logo and accent colour on its pages (issue 12).
  const branding = createBrandingFeatures({ knex: db.knex, onStoreWrite: db.onStoreWrite, orgs: createKnexOrganizationStore(db.knex), audit, issuer: config.issuer });
  // Organizations, invitations, the admin API (/api/v1) and pages (/admin): issue 3.
  const organizations = createOrganizationFeatures({
    knex: db.knex,
    provider,
    issuer: config.issuer,
    audit,
    auditReader: auditStore,
    mailer,
    hasher,
    session: accountSession,
    csrf,
    logger,
    onClientChanged: clientChanges.announce,
    resetMfa: (accountId, request) => mfaManagement.reset(accountId, { actor: request.initiatedBy, ip: request.ip, userAgent: request.userAgent }),
    sendPasswordReset: async (accountId, request) => {
      const sent = await selfService.passwordReset.issueLink(accountId, { requestedBy: request.initiatedBy, context: { ip: request.ip, userAgent: request.userAgent } });
      if (!sent) throw new DomainError('password_reset.not_sent', { status: 409 });
    },
    federation: federation.admin,
    lockouts: { status: throttle.signIn.lockout, unlock: throttle.signIn.unlock },
    applications: applicationFeatures.applications,
    sessions: sessionFeatures.sessions,
    branding: { apiRoutes: branding.apiRoutes, service: branding.service },
    invitationThrottle: throttle.invitation,
    journeys,
    clock: options.clock,
  });
  const pageBranding = branding.pageBranding({
    provider,
    organizationOfDomain: (domain) => federation.store.organizationOfDomain(domain),
    signedInAccount: async (ctx) => (await accountSession.current(ctx))?.accountId,
    invitationOrganization: async (token) => (await organizations.services.invitations.open(token))?.organization.id,
  });

  // At resume the provider session exists: remember when each factor was proven in it.
  provider.use(onlyOnPaths(isResumePath, async (ctx: KoaContextWithOIDC, next) => {
    await next();
    const login = ctx.oidc?.route === 'resume' ? (ctx.oidc.result?.login as { accountId?: string; factors?: { passwordAt: number | null; mfaAt: number | null; identityId?: string | null; mfaMethod?: string | null } } | undefined) : undefined;
    if (login?.accountId && login.factors && ctx.oidc.session?.uid && ctx.oidc.session.accountId === login.accountId) {
      const { mfaMethod, ...factors } = login.factors;
      await marks.put(ctx.oidc.session.uid, { accountId: login.accountId, ...factors, mfaMethod: mfaMethod ?? null });
      // How and from where this session signed in, and whether the device is new for the account.
      await sessionFeatures.signIns.signedIn({
        sessionUid: ctx.oidc.session.uid,
        accountId: login.accountId,
        amr: ctx.oidc.session.amr ?? [],
        mfaMethod: mfaMethod ?? null,
        identityId: factors.identityId ?? null,
        ip: ctx.ip,
        userAgent: ctx.get('user-agent') || undefined,
        newSession: (ctx.oidc.session as { new?: boolean }).new === true,
      });
      // The language this sign-in negotiated (the person's pick, else their browser's): emails to them use it.
      // The provider read the account in this request (findAccount): no write when it already says so.
      const language = currentLanguage();
      const known = await accountReadInRequest(ctx.state, login.accountId);
      if (!known || known.language !== knownLanguage(language)) await accounts.setLanguage(login.accountId, language);
    }
  }));

  const ops = new Router();
  ops.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  ops.get('/readyz', async (ctx) => {
    const checks: Record<string, string> = {};
    try {
      await db.knex.raw('select 1');
      checks.database = 'ok';
    } catch {
      checks.database = 'unreachable';
    }
    if (redis) checks.redis = await redis.ping().then(() => 'ok', () => 'unreachable');
    const ready = Object.values(checks).every((v) => v === 'ok');
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not ready', checks };
  });
  // `/` says what this server is; browsers ask for /favicon.ico whatever the page links.
  ops.get('/', (ctx) => renderHome(ctx, config.issuer));
  ops.get('/favicon.ico', (ctx) => {
    ctx.status = 301;
    ctx.redirect('/static/favicon.svg');
  });
  ops.get('/static/:file', async (ctx) => {
    const file = path.basename(ctx.params.file);
    // The operator's theme.css comes from THEME_DIR; everything else is ours.
    const dir = file === 'theme.css' && views.themeDir ? views.themeDir : STATIC_DIR;
    try {
      ctx.body = await fs.readFile(path.join(dir, file));
      ctx.type = path.extname(file);
      ctx.set('Cache-Control', 'public, max-age=3600');
    } catch {
      ctx.status = 404;
    }
  });
  // Allow-listed third-party browser scripts, straight from node_modules (views/vendor.ts).
  ops.get('/static/vendor/:file', async (ctx) => {
    const source = Object.hasOwn(VENDOR_SCRIPTS, ctx.params.file) ? VENDOR_SCRIPTS[ctx.params.file] : undefined;
    if (!source) {
      ctx.status = 404;
      return;
    }
    ctx.body = await fs.readFile(source);
    ctx.type = source.endsWith('.css') ? 'text/css' : 'text/javascript';
    ctx.set('Cache-Control', 'public, max-age=3600');
  });

  // Fail closed: when a store is down or too slow, say "try again" (503), never fall back to something else.
  const answerStoreOutage = (ctx: Koa.Context) => {
    if (ctx.status === 500 && (ctx.state.storeUnavailable || (redis && redis.status !== 'ready'))) {
      const unavailable = new StoreUnavailable();
      logger.warn({ path: ctx.path, route: (ctx as { oidc?: { route?: string } }).oidc?.route }, 'store unavailable');
      ctx.status = 503;
      ctx.set('Retry-After', String(STORE_RETRY_AFTER_SECONDS));
      if (ctx.response.is('json')) ctx.body = { error: 'temporarily_unavailable', error_description: unavailable.message };
      else ctx.body = renderErrorPage({ status: 503, code: unavailable.code, description: unavailable.message });
    }
  };
  const failClosed: Koa.Middleware = async (ctx, next) => {
    await next();
    answerStoreOutage(ctx);
  };
  const providerEndpoints = clientAuthThrottle(throttle.clientAuth, compose(provider.middleware));
  const errorOptions = {
    // A failed sign-in page offers the way back to its app while the interaction lasts.
    wayBack: async (ctx: Koa.Context) => {
      const uid = /^\/interaction\/([\w-]+)/.exec(ctx.path)?.[1];
      return uid ? wayBackFromInteraction(provider, config.issuer, uid) : undefined;
    },
  };
  const handleErrors = errorHandler(logger, errorOptions);
  // Our routes parse their own bodies; oidc-provider's endpoints must get the raw stream.
  // A logo upload may be larger than a form (base64 in JSON adds a third).
  const parseBody = bodyParser(undefined, { paths: [LOGO_UPLOAD_PAGE_PATH, LOGO_UPLOAD_API_PATH], limit: Math.ceil((BRANDING_LOGO_MAX_BYTES * 4) / 3) + 16 * 1024 });
  const routesOf = (router: Router) => router.routes() as unknown as Koa.Middleware;
  // Feature routers, one line each (self-service, account, admin API and pages mount here).
  // A pick while signed in is remembered on the account too; the cookie alone still works if that fails.
  const languageRoutes = createLanguageRoutes({
    remember: async (ctx, tag) => {
      const signedIn = await accountSession.current(ctx).catch(() => undefined);
      if (signedIn) await accounts.setLanguage(signedIn.accountId, tag).catch((err) => logger.warn({ err }, 'language not remembered'));
    },
  });
  const featureRouters = [languageRoutes, interactions, push, accountCallback, accountMfa, ...organizations.routers, ...applicationFeatures.routers, ...selfServiceRoutes, federationInteractions.callbackRouter, linkedProfiles.router, accountSessionsRoutes];
  const ownRoutes = compose([
    routesOf(ops),
    (ctx, next) => (OWN_BODY_PATHS.some((p) => ctx.path.startsWith(p)) ? parseBody(ctx, next) : next()),
    pageBranding,
    journeys.remember,
    ...[branding.assets, ...featureRouters].map(routesOf),
  ] satisfies Koa.Middleware[]);

  // Two lanes. Pages (ours and the provider's /auth, /session/end…) get the page context, the
  // language, the page headers, the 404 page and the cross-site check. The JSON endpoints programs
  // call (token, introspection, discovery…) render nothing, so they skip all of that: this is the
  // client-credentials hot path, where each of those steps was a measurable share of the CPU.
  const pageLane = compose([
    // Every page of this request shares the theme, the request id and the brand learned on the way.
    requestLog(logger, (requestId, next) => runWithPageContext({ views, requestId }, next)),
    metrics.middleware,
    securityHeaders(),
    requestLanguage(),
    handleErrors,
    notFoundPage(),
    inputGuard(),
    crossSiteGuard(config.issuer),
    // The provider's endpoints skip our routers altogether.
    (ctx, next) => (isProviderPath(ctx.path) ? next() : ownRoutes(ctx, next)),
    failClosed,
    providerEndpoints,
  ] satisfies Koa.Middleware[]);
  // The same steps in one middleware (server/api-lane.ts): the request line, metrics, headers, errors, input check, fail closed.
  const jsonLane = apiLane({
    logLine: requestLines(logger),
    observe: metrics.observeRequest,
    answerError: errorAnswer(logger, errorOptions),
    failClosed: answerStoreOutage,
    endpoints: providerEndpoints,
  });

  const app = new Koa();
  // Known pitfall: the parent app must sign cookies with the provider's keys.
  app.keys = cookieKeys(secrets.cookieKeys);
  app.proxy = config.trustProxy;
  app.use(issuerOrigin(app, config.issuer));
  app.use((ctx, next) => (isProviderApiPath(ctx.path) ? jsonLane(ctx, next) : pageLane(ctx, next)));

  // What every host serves (serve.ts, the tests' and the bench's servers): the app behind the JSON
  // endpoints' admission gate. Refusals are counted, and logged at most once per interval.
  let lastRefusalLog = -Infinity;
  const listener = admitApiRequests(app.callback(), {
    onRefused: () => {
      metrics.apiRefused.inc();
      if (performance.now() - lastRefusalLog < OVERLOAD_LOG_INTERVAL_MS) return;
      lastRefusalLog = performance.now();
      logger.warn('overloaded: JSON endpoint requests refused (503): too many waiting, or waited too long; see gatehouse_api_requests_refused_total');
    },
  });
  metrics.watchApiWaiting(listener.waiting);

  async function close() {
    await selfService.jobs.settled();
    await throttleJobs.settled();
    await auditStore.close();
    await backchannelSettled(provider);
    await clientChanges.stop();
    await signingKeys.stop();
    if (purgeTimer) clearInterval(purgeTimer);
    await redis?.quit().catch(() => redis.disconnect());
    await db.close();
  }

  // Every mounted router, so tests (the fuzz suite) enumerate the routes that exist rather than a list.
  const routers: Router[] = [ops, ...featureRouters];
  return { app, listener, routers, metrics, provider, db, redis, signingKeys, federation, sessionFeatures, accounts, clients, audit, hasher, keyStore, mailer, mfa, box, marks, accountSession, csrf, mfaManagement, recoveryDigest, pushStore, organizations, auditStore, selfService, applications: applicationFeatures.applications, appAccess: applicationFeatures.access, logger, throttle, throttleJobs, rateLimits, close };
}

/**
 * What the cluster primary does once before forking workers, so they never race to create it:
 * the generated KEK and cookie keys (when not configured), migrations, and the first signing keys
 * (proving on the way that the KEK opens the stored ones).
 */
export async function prepareSharedState(config: Config): Promise<void> {
  const secrets = resolveSecrets(config);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(db.knex);
    await loadSigningKeys(createSigningKeyStore(db.knex, createSecretBox(secrets.kek)));
  } finally {
    await db.close();
  }
}
