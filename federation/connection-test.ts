// "Test connection": fetches the IdP's discovery document and its JWKS, as a sign-in would, and says
// what is wrong in words an administrator can act on. The client secret is not checked here: only a
// real sign-in can prove it (the token endpoint needs a code).
import * as oidc from 'openid-client';
import { UPSTREAM_HTTP_TIMEOUT_SECONDS } from '../accounts/security-constants.ts';
import type { IdentityProvider } from './identity-provider.ts';
import { DEFAULT_LANGUAGE, translate } from '../accounts/messages/catalog.ts';
import type { Message, MessageCode, MessageValue } from '../accounts/messages/language.ts';

/** One finding: `text` is the catalog message (the admin page shows it in the reader's language), `message` its English (the API). */
export type ConnectionCheck = { id: string; ok: boolean; level: 'ok' | 'warning' | 'error'; text: Message; message: string };
type Vars = Record<string, MessageValue>;
/** A finding's code without its catalog prefix (page.admin.idp.report.): tsc refuses one the catalog lacks. */
type ReportCode = MessageCode extends infer K ? (K extends `page.admin.idp.report.${infer S}` ? S : never) : never;
const finding = (id: string, ok: boolean, level: ConnectionCheck['level'], code: ReportCode, vars?: Vars): ConnectionCheck => {
  const text: Message = { code: `page.admin.idp.report.${code}`, ...(vars ? { vars } : {}) };
  return { id, ok, level, text, message: translate(DEFAULT_LANGUAGE, text.code, vars) };
};
export type ConnectionReport = { ok: boolean; checks: ConnectionCheck[] };

export async function testConnection(
  idp: Pick<IdentityProvider, 'issuer' | 'clientId' | 'scopes'> & Partial<Pick<IdentityProvider, 'tokenEndpointAuthMethod'>>,
  options: { allowHttpIssuers: boolean; timeoutSeconds?: number; redirectUri: string },
): Promise<ConnectionReport> {
  const timeout = options.timeoutSeconds ?? UPSTREAM_HTTP_TIMEOUT_SECONDS;
  const checks: ConnectionCheck[] = [];
  const pass = (id: string, code: ReportCode, vars?: Vars) => checks.push(finding(id, true, 'ok', code, vars));
  const warn = (id: string, code: ReportCode, vars?: Vars) => checks.push(finding(id, true, 'warning', code, vars));
  const fail = (id: string, code: ReportCode, vars?: Vars) => checks.push(finding(id, false, 'error', code, vars));
  const report = () => ({ ok: checks.every((c) => c.ok), checks });

  let server: oidc.ServerMetadata;
  try {
    const config = await oidc.discovery(new URL(idp.issuer), idp.clientId, undefined, oidc.None(), {
      timeout,
      execute: options.allowHttpIssuers ? [oidc.allowInsecureRequests] : [],
    });
    server = config.serverMetadata();
    pass('discovery', 'discovery_found', { url: new URL('.well-known/openid-configuration', `${idp.issuer}/`).href });
  } catch (err) {
    const [code, vars] = discoveryProblem(err, idp.issuer);
    fail('discovery', code, vars);
    return report();
  }

  // OIDC Discovery §3: an OpenID Provider announces ID token algorithms; plain OAuth 2.0 servers don't.
  if (!server.id_token_signing_alg_values_supported?.length) {
    fail('openid', 'not_openid');
  } else if (!server.id_token_signing_alg_values_supported.some((a) => a !== 'none')) {
    fail('openid', 'unsigned_only');
  } else {
    pass('openid', 'openid_ok', { algs: server.id_token_signing_alg_values_supported.join(', ') });
  }
  if (server.response_types_supported && !server.response_types_supported.includes('code')) {
    fail('code_flow', 'no_code_flow');
  }
  for (const field of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
    if (!server[field]) fail(field, `missing_${field}`);
  }
  if (server.scopes_supported && !server.scopes_supported.includes('openid')) {
    fail('scopes', 'no_openid_scope');
  } else if (server.scopes_supported) {
    const unknown = idp.scopes.filter((s) => !server.scopes_supported!.includes(s));
    if (unknown.length) warn('scopes', 'unknown_scopes', { scopes: unknown.join(', ') });
  }
  if (!server.code_challenge_methods_supported?.includes('S256')) {
    warn('pkce', 'no_pkce');
  } else {
    pass('pkce', 'pkce_ok');
  }
  // OIDC Discovery §3: absent means client_secret_basic only.
  const authMethods = server.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
  const chosen = idp.tokenEndpointAuthMethod ?? 'client_secret_basic';
  const assumed = server.token_endpoint_auth_methods_supported ? '' : '_assumed';
  const methods = { methods: authMethods.join(', '), chosen };
  if (authMethods.includes(chosen)) pass('token_auth', `token_auth_ok${assumed}`, methods);
  else fail('token_auth', `token_auth_mismatch${assumed}`, methods);

  if (!server.authorization_response_iss_parameter_supported) {
    warn('iss', 'no_iss');
  }

  if (server.jwks_uri) {
    try {
      const url = new URL(server.jwks_uri);
      if (url.protocol !== 'https:' && !(options.allowHttpIssuers && url.protocol === 'http:')) throw new JwksProblem('jwks_not_https');
      const response = await fetch(url, { signal: AbortSignal.timeout(timeout * 1000), headers: { accept: 'application/json, application/jwk-set+json' }, redirect: 'error' });
      if (!response.ok) throw new JwksProblem('jwks_http', { status: response.status });
      const body = (await response.json()) as { keys?: { use?: string; kty?: string }[] };
      const signing = (body.keys ?? []).filter((k) => typeof k.kty === 'string' && (k.use === undefined || k.use === 'sig'));
      if (signing.length === 0) fail('jwks', 'jwks_no_keys');
      else pass('jwks', 'jwks_ok', { count: signing.length });
    } catch (err) {
      const why: MessageValue = err instanceof JwksProblem ? { code: `page.admin.idp.report.${err.code}`, ...(err.vars ? { vars: err.vars } : {}) } : (err as Error).message;
      fail('jwks', 'jwks_unreadable', { url: server.jwks_uri, why });
    }
  }
  warn('client', 'client_checked_later', { redirectUri: options.redirectUri });
  return report();
}

/** Why the JWKS could not be used, in the catalog's words (its code's suffix under page.admin.idp.report.). */
class JwksProblem extends Error {
  readonly code: ReportCode;
  readonly vars?: Record<string, string | number>;
  constructor(code: ReportCode, vars?: Record<string, string | number>) {
    super(code);
    this.code = code;
    this.vars = vars;
  }
}

function discoveryProblem(err: unknown, issuer: string): [ReportCode, Vars] {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  const url = new URL('.well-known/openid-configuration', `${issuer}/`).href;
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return ['discovery_timeout', { url }];
  if (e.cause?.code === 'ECONNREFUSED' || e.cause?.code === 'ENOTFOUND' || /fetch failed/i.test(e.message ?? '')) return ['discovery_unreachable', { url, reason: e.cause?.code ?? { code: 'page.admin.idp.report.network_error' } }];
  if (/issuer/i.test(e.message ?? '')) return ['discovery_other_issuer', { url, issuer }];
  if (e.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || /status code|HTTP/i.test(e.message ?? '')) return ['discovery_not_a_document', { url, reason: e.message ?? '' }];
  return ['discovery_unusable', { url, reason: e.message ?? { code: 'page.admin.idp.report.unknown_error' } }];
}
