// "Test connection": fetches the IdP's discovery document and its JWKS, as a sign-in would, and says
// what is wrong in words an administrator can act on. The client secret is not checked here: only a
// real sign-in can prove it (the token endpoint needs a code).
import * as oidc from 'openid-client';
import { UPSTREAM_HTTP_TIMEOUT_SECONDS } from '../accounts/security-constants.ts';
import type { IdentityProvider } from './identity-provider.ts';

export type ConnectionCheck = { id: string; ok: boolean; level: 'ok' | 'warning' | 'error'; message: string };
export type ConnectionReport = { ok: boolean; checks: ConnectionCheck[] };

export async function testConnection(
  idp: Pick<IdentityProvider, 'issuer' | 'clientId' | 'scopes'> & Partial<Pick<IdentityProvider, 'tokenEndpointAuthMethod'>>,
  options: { allowHttpIssuers: boolean; timeoutSeconds?: number; redirectUri: string },
): Promise<ConnectionReport> {
  const timeout = options.timeoutSeconds ?? UPSTREAM_HTTP_TIMEOUT_SECONDS;
  const checks: ConnectionCheck[] = [];
  const pass = (id: string, message: string) => checks.push({ id, ok: true, level: 'ok', message });
  const warn = (id: string, message: string) => checks.push({ id, ok: true, level: 'warning', message });
  const fail = (id: string, message: string) => checks.push({ id, ok: false, level: 'error', message });
  const report = () => ({ ok: checks.every((c) => c.ok), checks });

  let server: oidc.ServerMetadata;
  try {
    const config = await oidc.discovery(new URL(idp.issuer), idp.clientId, undefined, oidc.None(), {
      timeout,
      execute: options.allowHttpIssuers ? [oidc.allowInsecureRequests] : [],
    });
    server = config.serverMetadata();
    pass('discovery', `Found the discovery document at ${new URL('.well-known/openid-configuration', `${idp.issuer}/`).href}, and its issuer matches.`);
  } catch (err) {
    fail('discovery', discoveryProblem(err, idp.issuer));
    return report();
  }

  // OIDC Discovery §3: an OpenID Provider announces ID token algorithms; plain OAuth 2.0 servers don't.
  if (!server.id_token_signing_alg_values_supported?.length) {
    fail('openid', 'This server does not announce ID token signing algorithms: it is not an OpenID Connect provider. Only OpenID Connect is supported.');
  } else if (!server.id_token_signing_alg_values_supported.some((a) => a !== 'none')) {
    fail('openid', 'This provider only offers unsigned ID tokens (alg none), which Gatehouse never accepts.');
  } else {
    pass('openid', `OpenID Connect provider; ID tokens signed with ${server.id_token_signing_alg_values_supported.join(', ')}.`);
  }
  if (server.response_types_supported && !server.response_types_supported.includes('code')) {
    fail('code_flow', 'The provider does not support the authorization code flow (response_type=code).');
  }
  for (const [field, label] of [['authorization_endpoint', 'authorization endpoint'], ['token_endpoint', 'token endpoint'], ['jwks_uri', 'JWKS URI']] as const) {
    if (!server[field]) fail(field, `The discovery document has no ${label}.`);
  }
  if (server.scopes_supported && !server.scopes_supported.includes('openid')) {
    fail('scopes', 'The provider does not list the openid scope.');
  } else if (server.scopes_supported) {
    const unknown = idp.scopes.filter((s) => !server.scopes_supported!.includes(s));
    if (unknown.length) warn('scopes', `The provider does not list these scopes: ${unknown.join(', ')}.`);
  }
  if (!server.code_challenge_methods_supported?.includes('S256')) {
    warn('pkce', 'The provider does not announce PKCE (S256). Gatehouse sends it anyway; a provider that rejects it cannot be used.');
  } else {
    pass('pkce', 'PKCE (S256) is supported.');
  }
  // OIDC Discovery §3: absent means client_secret_basic only.
  const authMethods = server.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
  const chosen = idp.tokenEndpointAuthMethod ?? 'client_secret_basic';
  const listed = `The provider supports ${authMethods.join(', ')}${server.token_endpoint_auth_methods_supported ? '' : ' (it lists none, so client_secret_basic is assumed)'} at its token endpoint`;
  if (authMethods.includes(chosen)) pass('token_auth', `${listed}; Gatehouse uses ${chosen}.`);
  else fail('token_auth', `${listed}, but Gatehouse is set to use ${chosen}: choose one of those it supports.`);

  if (!server.authorization_response_iss_parameter_supported) {
    warn('iss', 'The provider does not announce RFC 9207 issuer identification; responses are still bound to it by state and the ID token’s issuer.');
  }

  if (server.jwks_uri) {
    try {
      const url = new URL(server.jwks_uri);
      if (url.protocol !== 'https:' && !(options.allowHttpIssuers && url.protocol === 'http:')) throw new Error('the JWKS URI is not https');
      const response = await fetch(url, { signal: AbortSignal.timeout(timeout * 1000), headers: { accept: 'application/json, application/jwk-set+json' }, redirect: 'error' });
      if (!response.ok) throw new Error(`it answered HTTP ${response.status}`);
      const body = (await response.json()) as { keys?: { use?: string; kty?: string }[] };
      const signing = (body.keys ?? []).filter((k) => typeof k.kty === 'string' && (k.use === undefined || k.use === 'sig'));
      if (signing.length === 0) fail('jwks', 'The JWKS has no signing keys, so no ID token could be verified.');
      else pass('jwks', `The JWKS has ${signing.length} signing key${signing.length === 1 ? '' : 's'}.`);
    } catch (err) {
      fail('jwks', `The JWKS at ${server.jwks_uri} could not be read: ${(err as Error).message}.`);
    }
  }
  warn('client', `The client id and secret are checked at the first sign-in. Register ${options.redirectUri} as the redirect URI at the provider.`);
  return report();
}

function discoveryProblem(err: unknown, issuer: string): string {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  const where = new URL('.well-known/openid-configuration', `${issuer}/`).href;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `${where} did not answer within the time limit.`;
  if (e.cause?.code === 'ECONNREFUSED' || e.cause?.code === 'ENOTFOUND' || /fetch failed/i.test(e.message ?? '')) return `${where} could not be reached (${e.cause?.code ?? 'network error'}).`;
  if (/issuer/i.test(e.message ?? '')) return `The discovery document at ${where} names a different issuer than ${issuer}: enter the issuer exactly as the provider states it.`;
  if (e.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || /status code|HTTP/i.test(e.message ?? '')) return `${where} did not return a discovery document (${e.message}).`;
  return `The discovery document at ${where} could not be used: ${e.message ?? 'unknown error'}.`;
}
