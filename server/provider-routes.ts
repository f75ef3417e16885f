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
