// Applications: the relying parties and services that use Gatehouse, of four kinds. One concept —
// a "connected app" is an application of kind `service` (client credentials + API permissions).
// This file holds the rules (validation with one message per field) and the mapping to the OIDC
// client metadata oidc-provider reads from the oidc_clients table; it has no I/O.
import { violation, type RuleViolation } from './errors.ts';
import type { MessageCode } from './messages/language.ts';
import { APP_PERMISSIONS } from './permissions.ts';

export const APPLICATION_KINDS = ['web', 'spa', 'native', 'service'] as const;
export type ApplicationKind = (typeof APPLICATION_KINDS)[number];
/** Each kind's name as a catalog code (pages show t(code) in the reader's language). */
export const KIND_LABELS: Record<ApplicationKind, MessageCode> = {
  web: 'page.admin.app.kind.web',
  spa: 'page.admin.app.kind.spa',
  native: 'page.admin.app.kind.native',
  service: 'page.admin.app.kind.service',
};

/** Scopes an interactive (web, SPA, native) app may be allowed; a service gets API permissions instead. */
export const OIDC_SCOPES = ['openid', 'offline_access', 'profile', 'email', 'phone', 'org'] as const;
export const WEB_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
export type WebAuthMethod = (typeof WEB_AUTH_METHODS)[number];

/** Oversized lists are refused, not truncated (issue 9). */
export const MAX_REDIRECT_URIS = 50;
export const MAX_WEB_ORIGINS = 50;
const MAX_URI_LENGTH = 2000;

export type Application = {
  clientId: string;
  kind: ApplicationKind;
  /** null: registered by the operator (CLI), belongs to no organization. */
  organizationId: string | null;
  name: string;
  logoUri: string | null;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  webOrigins: string[];
  backchannelLogoutUri: string | null;
  backchannelLogoutSessionRequired: boolean;
  scopes: string[];
  firstParty: boolean;
  disabled: boolean;
  /** Web applications: how they authenticate at the token endpoint. */
  tokenEndpointAuthMethod: WebAuthMethod | 'none';
  /** private_key_jwt web applications: where their public keys are. */
  jwksUri: string | null;
  createdAt: Date;
};

/** The fields a person or the CLI sets; kind and organization are fixed at creation. */
export type ApplicationFields = Omit<Application, 'clientId' | 'kind' | 'organizationId' | 'createdAt'>;

export const isConfidential = (kind: ApplicationKind) => kind === 'web' || kind === 'service';

export function defaultFields(kind: ApplicationKind): ApplicationFields {
  return {
    name: '',
    logoUri: null,
    redirectUris: [],
    postLogoutRedirectUris: [],
    webOrigins: [],
    backchannelLogoutUri: null,
    backchannelLogoutSessionRequired: false,
    scopes: kind === 'service' ? [] : [...OIDC_SCOPES],
    firstParty: false,
    disabled: false,
    tokenEndpointAuthMethod: isConfidential(kind) ? 'client_secret_basic' : 'none',
    jwksUri: null,
  };
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const isLoopback = (url: URL) => LOOPBACK_HOSTS.has(url.hostname);

/** RFC 8252 §7.1: a private-use scheme is a reverse domain name (com.example.app). */
const REVERSE_DOMAIN_SCHEME = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/;

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** Why one redirect URI is refused, or undefined when it is fine for this kind of app. */
export function redirectUriProblem(kind: ApplicationKind, uri: string): string | undefined {
  if (uri.length > MAX_URI_LENGTH) return `${shorten(uri)} is longer than ${MAX_URI_LENGTH} characters.`;
  if (uri.includes('*')) return `${uri}: wildcards are not allowed; register each URI exactly.`;
  if (uri.includes('#')) return `${uri}: a redirect URI must not contain a fragment (#).`;
  const url = parseUrl(uri);
  if (!url) return `${uri} is not an absolute URI.`;
  if (url.username || url.password) return `${uri}: a redirect URI must not contain a user name or password.`;
  if (url.protocol === 'https:') {
    if (kind === 'native' && isLoopback(url)) return `${uri}: native apps use http:// for loopback redirects (RFC 8252), not https://.`;
    return undefined;
  }
  if (url.protocol === 'http:') {
    if (isLoopback(url)) return undefined;
    return `${uri}: use https; http is allowed only for localhost and loopback addresses (development${kind === 'native' ? ', native apps' : ''}).`;
  }
  const scheme = url.protocol.slice(0, -1);
  if (kind !== 'native') return `${uri}: use https (or http://localhost for development); ${scheme}: URIs are for native apps.`;
  if (['javascript', 'data', 'file', 'vbscript', 'blob', 'ftp', 'ws', 'wss'].includes(scheme)) return `${uri}: the ${scheme} scheme is not allowed.`;
  if (!REVERSE_DOMAIN_SCHEME.test(scheme)) return `${uri}: a private-use scheme must be a reverse domain name you control, such as com.example.app:/callback (RFC 8252).`;
  return undefined;
}

/** Why a web origin is refused: it must be scheme://host[:port] and nothing else. */
export function webOriginProblem(origin: string): string | undefined {
  const url = parseUrl(origin);
  if (origin.includes('*')) return `${origin}: wildcards are not allowed; list each origin.`;
  if (!url || !['http:', 'https:'].includes(url.protocol)) return `${origin} is not a web origin (https://host[:port]).`;
  if (url.origin !== origin.replace(/\/$/, '') || origin.endsWith('/')) return `${origin} is not an origin: give scheme, host and port only (${url.origin}), no path, query or trailing slash.`;
  if (url.protocol === 'http:' && !isLoopback(url)) return `${origin}: use https; http is allowed only for localhost and loopback addresses.`;
  return undefined;
}

function httpsUriProblem(uri: string, what: string): string | undefined {
  const url = parseUrl(uri);
  if (!url || uri.length > MAX_URI_LENGTH) return `The ${what} is not an absolute URI.`;
  if (url.hash || uri.includes('#')) return `The ${what} must not contain a fragment (#).`;
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url))) return undefined;
  return `The ${what} must use https (http is allowed only for localhost and loopback addresses).`;
}

function shorten(s: string) {
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

/** Every broken rule of a complete application, one message per problem, tied to its field. */
export function validateApplication(kind: ApplicationKind, f: ApplicationFields): RuleViolation[] {
  const v: RuleViolation[] = [];
  // Fixed rules have their own text; checks that explain a specific value pass it as the detail.
  const add = (field: string, code: MessageCode, detail: string) => v.push(violation(field, code, { detail } as never));
  const name = f.name.trim();
  if (name.length < 1 || name.length > 100) add('name', 'application.name_invalid', 'Name the application (1 to 100 characters).');
  if (f.logoUri !== null) {
    const problem = httpsUriProblem(f.logoUri, 'logo URI');
    if (problem) add('logoUri', 'application.logo_uri_invalid', problem);
  }

  const interactive = kind !== 'service';
  checkList('redirectUris', 'application.redirect_uri_invalid', f.redirectUris, MAX_REDIRECT_URIS, 'redirect URIs', (u) => redirectUriProblem(kind, u));
  checkList('postLogoutRedirectUris', 'application.post_logout_redirect_uri_invalid', f.postLogoutRedirectUris, MAX_REDIRECT_URIS, 'post-logout redirect URIs', (u) => redirectUriProblem(kind, u));
  checkList('webOrigins', 'application.web_origin_invalid', f.webOrigins, MAX_WEB_ORIGINS, 'web origins', webOriginProblem);
  if (interactive && f.redirectUris.length === 0) add('redirectUris', 'application.redirect_uri_required', 'Register at least one redirect URI.');
  if (!interactive) {
    if (f.redirectUris.length) add('redirectUris', 'application.redirect_uri_unused', 'A service signs nobody in: it has no redirect URIs.');
    if (f.postLogoutRedirectUris.length) add('postLogoutRedirectUris', 'application.redirect_uri_unused', 'A service signs nobody in: it has no post-logout redirect URIs.');
    if (f.webOrigins.length) add('webOrigins', 'application.web_origin_unused', 'A service runs on a server: it has no web origins.');
    if (f.backchannelLogoutUri) add('backchannelLogoutUri', 'application.backchannel_unused', 'A service has no sessions to end: it has no back-channel logout URI.');
    if (f.firstParty) add('firstParty', 'application.first_party_unused', 'A service never asks for consent: first party does not apply.');
  }
  if (f.backchannelLogoutUri !== null) {
    const problem = httpsUriProblem(f.backchannelLogoutUri, 'back-channel logout URI');
    if (problem) add('backchannelLogoutUri', 'application.backchannel_logout_uri_invalid', problem);
  } else if (f.backchannelLogoutSessionRequired) {
    add('backchannelLogoutSessionRequired', 'application.backchannel_sid_without_uri', 'Set a back-channel logout URI first: "session required" applies to it.');
  }

  const allowed: readonly string[] = interactive ? OIDC_SCOPES : APP_PERMISSIONS;
  const unknown = [...new Set(f.scopes.filter((s) => !allowed.includes(s)))];
  if (unknown.length) {
    add('scopes', 'application.scope_invalid', interactive
      ? `Unknown scopes: ${unknown.join(', ')} (allowed: ${OIDC_SCOPES.join(' ')}). API permissions are for a Service application.`
      : `Unknown or ungrantable permissions: ${unknown.join(', ')} (allowed: ${APP_PERMISSIONS.join(' ')}).`);
  }
  if (interactive && !f.scopes.includes('openid')) add('scopes', 'application.scope_openid_required', 'Allow the openid scope: every sign-in asks for it.');
  if (!interactive && f.scopes.length === 0) add('scopes', 'application.scope_required', 'Grant the service at least one permission.');

  if (kind === 'web') {
    if (!(WEB_AUTH_METHODS as readonly string[]).includes(f.tokenEndpointAuthMethod)) add('tokenEndpointAuthMethod', 'application.auth_method_invalid', `Choose ${WEB_AUTH_METHODS.join(', ')}.`);
    if (f.tokenEndpointAuthMethod === 'private_key_jwt') {
      if (!f.jwksUri) add('jwksUri', 'application.jwks_uri_required', 'private_key_jwt needs the JWKS URI where the app publishes its public keys.');
      else if (!parseUrl(f.jwksUri) || new URL(f.jwksUri).protocol !== 'https:') add('jwksUri', 'application.jwks_uri_invalid', 'The JWKS URI must be an https URL.');
    } else if (f.jwksUri) {
      add('jwksUri', 'application.jwks_uri_unused', 'A JWKS URI is only used with private_key_jwt.');
    }
  } else if (kind === 'service') {
    if (f.tokenEndpointAuthMethod !== 'client_secret_basic' && f.tokenEndpointAuthMethod !== 'client_secret_post') add('tokenEndpointAuthMethod', 'application.auth_method_invalid', 'A service authenticates with its secret (client_secret_basic or client_secret_post).');
    if (f.jwksUri) add('jwksUri', 'application.jwks_uri_unused', 'A JWKS URI is only used with private_key_jwt web applications.');
  } else {
    if (f.tokenEndpointAuthMethod !== 'none') add('tokenEndpointAuthMethod', 'application.auth_method_invalid', 'Single-page and native applications are public clients: they have no secret (PKCE protects them).');
    if (f.jwksUri) add('jwksUri', 'application.jwks_uri_unused', 'A JWKS URI is only used with private_key_jwt web applications.');
  }
  return v;

  function checkList(field: string, code: MessageCode, list: string[], max: number, what: string, problem: (item: string) => string | undefined) {
    if (list.length > max) {
      add(field, `application.too_many_${field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}` as MessageCode, `At most ${max} ${what} (got ${list.length}).`);
      return;
    }
    const seen = new Set<string>();
    for (const item of list) {
      const p = problem(item);
      if (p) add(field, code, p);
      else if (seen.has(item)) add(field, code, `${item} is listed twice.`);
      seen.add(item);
    }
  }
}

/** The oidc-provider client metadata of an application (the secret digest is kept by the store). */
export function toClientMetadata(app: Application): Record<string, unknown> & { client_id: string } {
  const interactive = app.kind !== 'service';
  return {
    client_id: app.clientId,
    client_name: app.name.trim(),
    ...(app.logoUri ? { logo_uri: app.logoUri } : {}),
    application_type: app.kind === 'native' ? 'native' : 'web',
    grant_types: interactive ? ['authorization_code', 'refresh_token'] : ['client_credentials'],
    response_types: interactive ? ['code'] : [],
    redirect_uris: app.redirectUris,
    post_logout_redirect_uris: app.postLogoutRedirectUris,
    token_endpoint_auth_method: app.tokenEndpointAuthMethod,
    ...(app.jwksUri ? { jwks_uri: app.jwksUri } : {}),
    ...(app.backchannelLogoutUri
      ? { backchannel_logout_uri: app.backchannelLogoutUri, backchannel_logout_session_required: app.backchannelLogoutSessionRequired }
      : {}),
    scope: app.scopes.join(' '),
    // Gatehouse's own metadata (extraClientMetadata in server/provider.ts).
    gatehouse_kind: app.kind,
    web_origins: app.webOrigins,
    first_party: app.firstParty,
    disabled: app.disabled,
    organization_id: app.organizationId,
    created_at: app.createdAt.toISOString(),
    ...(app.kind === 'service' ? { connected_app: true } : {}),
  };
}

/** Reads a stored registration back, including clients registered before applications had kinds. */
export function fromClientMetadata(m: Record<string, unknown>, row: { organizationId: string | null; createdAt: Date }): Application {
  const list = (x: unknown) => (Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : []);
  const grants = list(m.grant_types);
  const auth = String(m.token_endpoint_auth_method ?? 'client_secret_basic');
  const kind: ApplicationKind = (APPLICATION_KINDS as readonly string[]).includes(String(m.gatehouse_kind))
    ? (m.gatehouse_kind as ApplicationKind)
    : grants.includes('client_credentials') && !grants.includes('authorization_code')
      ? 'service'
      : m.application_type === 'native'
        ? 'native'
        : auth === 'none'
          ? 'spa'
          : 'web';
  return {
    clientId: String(m.client_id),
    kind,
    organizationId: row.organizationId,
    name: String(m.client_name ?? m.client_id),
    logoUri: typeof m.logo_uri === 'string' ? m.logo_uri : null,
    redirectUris: list(m.redirect_uris),
    postLogoutRedirectUris: list(m.post_logout_redirect_uris),
    webOrigins: list(m.web_origins),
    backchannelLogoutUri: typeof m.backchannel_logout_uri === 'string' ? m.backchannel_logout_uri : null,
    backchannelLogoutSessionRequired: m.backchannel_logout_session_required === true,
    scopes: String(m.scope ?? '').split(' ').filter(Boolean),
    firstParty: m.first_party === true,
    disabled: m.disabled === true,
    tokenEndpointAuthMethod: auth as Application['tokenEndpointAuthMethod'],
    jwksUri: typeof m.jwks_uri === 'string' ? m.jwks_uri : null,
    createdAt: typeof m.created_at === 'string' ? new Date(m.created_at) : row.createdAt,
  };
}

/** Client ids: what the CLI accepts, and what generated ids look like. */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9._~-]{1,200}$/;
