// The provider's endpoint paths, named once: they configure oidc-provider and let requests for
// them skip our own routers (a token request has nothing to do with the sign-in pages, and
// matching it against every feature router was a tenth of its server CPU).

export const PROVIDER_ROUTES = {
  authorization: '/auth',
  backchannel_authentication: '/backchannel',
  code_verification: '/device',
  challenge: '/challenge',
  device_authorization: '/device/auth',
  end_session: '/session/end',
  introspection: '/token/introspection',
  jwks: '/jwks',
  pushed_authorization_request: '/request',
  registration: '/reg',
  revocation: '/token/revocation',
  token: '/token',
  userinfo: '/me',
  credential: '/credential',
} as const;

const EXACT = new Set<string>([...Object.values(PROVIDER_ROUTES), '/.well-known/openid-configuration']);
/** Endpoints with sub-paths: /auth/:uid (resume), /session/end/confirm, /reg/:clientId, /device/… */
const PREFIXES = [...Object.values(PROVIDER_ROUTES)].map((route) => `${route}/`);

/** True for a path only oidc-provider serves (so '/authenticator/…' and '/tokens' are not). */
export function isProviderPath(path: string): boolean {
  if (EXACT.has(path)) return true;
  for (const prefix of PREFIXES) if (path.startsWith(prefix)) return true;
  return false;
}

// Endpoints that answer programs with JSON and never render a page (no language, theme or brand, no
// browser form): they take the short middleware lane in app.ts. /auth, /session/end, /device (the
// user-code page) and their sub-paths render HTML and take the page lane.
const API_PATHS = new Set<string>([
  PROVIDER_ROUTES.token,
  PROVIDER_ROUTES.introspection,
  PROVIDER_ROUTES.revocation,
  PROVIDER_ROUTES.userinfo,
  PROVIDER_ROUTES.jwks,
  PROVIDER_ROUTES.pushed_authorization_request,
  PROVIDER_ROUTES.backchannel_authentication,
  PROVIDER_ROUTES.device_authorization,
  PROVIDER_ROUTES.challenge,
  PROVIDER_ROUTES.credential,
  '/.well-known/openid-configuration',
]);

/** The authorization endpoint's return after an interaction (`/auth/:uid`, oidc-provider's 'resume' route). */
export function isResumePath(path: string): boolean {
  return path.startsWith(`${PROVIDER_ROUTES.authorization}/`);
}

/**
 * `middleware` for the requests whose path `applies`; the others go straight on. A provider hook that
 * acts after one endpoint would otherwise add an async frame to every token request.
 */
export function onlyOnPaths<C extends { path: string }, R>(applies: (path: string) => boolean, middleware: (ctx: C, next: () => Promise<void>) => Promise<R>) {
  return (ctx: C, next: () => Promise<void>): Promise<R | void> => (applies(ctx.path) ? middleware(ctx, next) : next());
}

/** True for a provider endpoint that only ever answers JSON (token, introspection, discovery…). */
export function isProviderApiPath(path: string): boolean {
  return API_PATHS.has(path);
}
