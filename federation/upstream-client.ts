// The upstream leg, with openid-client v6: discovery (cached), the authorization request (code flow,
// PKCE S256, state, nonce) and the callback (RFC 9207 `iss` checked when present or advertised, code
// exchanged, ID token validated: signature against the IdP's JWKS, iss, aud, exp/iat, nonce). Every
// HTTP call to the IdP has a timeout. Errors become UpstreamError with a stable code.
import * as oidc from 'openid-client';
import {
  UPSTREAM_CLOCK_TOLERANCE_SECONDS,
  UPSTREAM_DISCOVERY_CACHE_SECONDS,
  UPSTREAM_HTTP_TIMEOUT_SECONDS,
} from '../accounts/security-constants.ts';
import type { StoredIdentityProvider } from './identity-provider.ts';
import { DomainError } from '../accounts/errors.ts';

/** Seals and opens secrets at rest (adapters/secret-box.ts). */
export type Sealer = { seal(plaintext: string): string; open(sealed: string): string };

/** What the flow keeps between the redirect and the callback (deleted when the callback arrives). */
export type PendingUpstream = {
  idpId: string;
  issuer: string;
  state: string;
  nonce: string;
  codeVerifier: string;
};

/** The person as the IdP asserted them, after every check, mapped with the IdP's claim mapping. */
export type UpstreamClaims = {
  idpId: string;
  issuer: string;
  subject: string;
  email: string | null;
  /** Only an explicit `true` from the IdP counts: false or absent means unverified. */
  emailVerified: boolean;
  name: string | null;
  /** The IdP's own amr (RFC 8176), when it sent one. */
  amr: string[];
};

/** Upstream codes take the IdP's name; state_mismatch needs no variables. */
type UpstreamCode = 'federation.idp_unavailable' | 'federation.invalid_response' | 'federation.access_denied' | 'federation.idp_error' | 'federation.client_rejected';

/** Where in the upstream leg it failed: audited and logged so an administrator knows where to look. */
export type UpstreamStep = 'discovery' | 'authorize' | 'callback' | 'token' | 'id_token' | 'userinfo';

export class UpstreamError extends DomainError {
  /** Technical reason for the audit log (never shown, never a token). */
  readonly reason: string;
  readonly step?: UpstreamStep;
  /** The IdP's own OAuth error code when it sent one (RFC 6749 §4.1.2.1 / §5.2), e.g. unauthorized_client. */
  readonly oauthError?: string;
  /** Set by federated-sign-in once the IdP is known: the audit event goes to its organization. */
  audit?: { organizationId: string; details: Record<string, unknown> };
  constructor(code: UpstreamCode | 'federation.state_mismatch', idpName: string | null, reason: string, options: { step?: UpstreamStep; oauthError?: string } = {}) {
    super(code as 'federation.idp_unavailable', { vars: { idp: idpName ?? '' } });
    this.reason = reason;
    this.step = options.step;
    this.oauthError = options.oauthError;
  }
}

/** Gatehouse's own signing key, for private_key_jwt client authentication at IdPs. */
export type ClientAssertionKey = () => Promise<{ key: CryptoKey; kid?: string }>;

export type UpstreamClient = ReturnType<typeof createUpstreamClient>;

export function createUpstreamClient(deps: {
  box: Sealer;
  /** The one redirect URI registered at every IdP: `${ISSUER}/federation/callback`. */
  redirectUri: string;
  allowHttpIssuers: boolean;
  timeoutSeconds?: number;
  /** For IdPs registered with private_key_jwt; absent → such IdPs fail with a clear reason. */
  clientAssertionKey?: ClientAssertionKey;
}) {
  const timeout = deps.timeoutSeconds ?? UPSTREAM_HTTP_TIMEOUT_SECONDS;
  const cache = new Map<string, { config: oidc.Configuration; version: string; expires: number }>();

  /** The openid-client configuration of an IdP: discovered once per cache period, rebuilt when the IdP changes. */
  async function configurationOf(idp: StoredIdentityProvider): Promise<oidc.Configuration> {
    const version = `${idp.updatedAt.getTime()}|${idp.issuer}|${idp.clientId}|${idp.clientSecretSealed ?? ''}|${idp.tokenEndpointAuthMethod}`;
    const cached = cache.get(idp.id);
    if (cached && cached.version === version && cached.expires > Date.now()) return cached.config;
    const secret = idp.clientSecretSealed ? deps.box.open(idp.clientSecretSealed) : undefined;
    let discovered: oidc.Configuration;
    try {
      discovered = await oidc.discovery(new URL(idp.issuer), idp.clientId, undefined, oidc.None(), {
        timeout,
        execute: deps.allowHttpIssuers ? [oidc.allowInsecureRequests] : [],
      });
    } catch (err) {
      throw new UpstreamError('federation.idp_unavailable', idp.name, reasonOf(err), { step: 'discovery' });
    }
    const server = discovered.serverMetadata();
    // The ID token must be signed with an algorithm the IdP announced, RS256 when it offers it (never `none`).
    const algs = server.id_token_signing_alg_values_supported;
    const alg = !algs || algs.includes('RS256') ? 'RS256' : (algs.find((a) => a !== 'none') ?? 'RS256');
    const config = new oidc.Configuration(
      server,
      idp.clientId,
      { ...(secret ? { client_secret: secret } : {}), id_token_signed_response_alg: alg, [oidc.clockTolerance]: UPSTREAM_CLOCK_TOLERANCE_SECONDS },
      await clientAuthOf(idp, secret),
    );
    config.timeout = timeout;
    if (deps.allowHttpIssuers) oidc.allowInsecureRequests(config);
    // Verify the ID token's signature against the IdP's JWKS too: openid-client (like OIDC Core §3.1.3.7
    // step 6) would otherwise accept a token-endpoint ID token on the strength of TLS alone.
    oidc.enableNonRepudiationChecks(config);
    cache.set(idp.id, { config, version, expires: Date.now() + UPSTREAM_DISCOVERY_CACHE_SECONDS * 1000 });
    return config;
  }

  /** The token endpoint authentication the IdP was registered with (OIDC Core §9). */
  async function clientAuthOf(idp: StoredIdentityProvider, secret: string | undefined): Promise<oidc.ClientAuth> {
    switch (idp.tokenEndpointAuthMethod) {
      case 'private_key_jwt': {
        if (!deps.clientAssertionKey) throw new UpstreamError('federation.client_rejected', idp.name, 'private_key_jwt without a signing key', { step: 'token' });
        return oidc.PrivateKeyJwt(await deps.clientAssertionKey());
      }
      case 'client_secret_post':
        return secret ? oidc.ClientSecretPost(secret) : oidc.None();
      default:
        // OIDC Registration §2: client_secret_basic is the default token endpoint authentication.
        return secret ? oidc.ClientSecretBasic(secret) : oidc.None();
    }
  }

  return {
    configurationOf,

    /** Forgets a cached discovery (after an IdP is changed or removed). */
    forget(idpId: string) {
      cache.delete(idpId);
    },

    /**
     * The authorization request. `statePrefix` routes the callback back to its flow; the rest of the
     * state is 256 random bits, checked against the flow's copy (RFC 6749 §10.12).
     */
    async start(idp: StoredIdentityProvider, options: { statePrefix: string; prompt?: string; loginHint?: string }) {
      const config = await configurationOf(idp);
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const pending: PendingUpstream = {
        idpId: idp.id,
        issuer: config.serverMetadata().issuer,
        state: `${options.statePrefix}.${oidc.randomState()}`,
        nonce: oidc.randomNonce(),
        codeVerifier,
      };
      const url = oidc.buildAuthorizationUrl(config, {
        response_type: 'code',
        redirect_uri: deps.redirectUri,
        scope: idp.scopes.join(' '),
        state: pending.state,
        nonce: pending.nonce,
        // RFC 9700 §2.1.1: PKCE with S256 on every authorization request.
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        ...(options.prompt ? { prompt: options.prompt } : {}),
        ...(options.loginHint ? { login_hint: options.loginHint } : {}),
      });
      return { url: url.href, pending };
    },

    /**
     * The callback: `query` is what arrived at the redirect URI. Checks state, `iss` (RFC 9207), the
     * code with the PKCE verifier, and the ID token (openid-client); then maps the claims. The subject
     * comes from the validated ID token only; userinfo may only fill in email and name.
     */
    async finish(idp: StoredIdentityProvider, query: URLSearchParams, pending: PendingUpstream): Promise<UpstreamClaims> {
      if (pending.idpId !== idp.id) throw new UpstreamError('federation.state_mismatch', null, 'idp_mismatch');
      const config = await configurationOf(idp);
      if (config.serverMetadata().issuer !== pending.issuer) {
        throw new UpstreamError('federation.invalid_response', idp.name, 'issuer_changed');
      }
      const currentUrl = new URL(deps.redirectUri);
      currentUrl.search = query.toString();
      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      try {
        tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
          pkceCodeVerifier: pending.codeVerifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
      } catch (err) {
        throw upstreamErrorOf(err, idp.name, 'token');
      }
      const idToken = tokens.claims();
      if (!idToken) throw new UpstreamError('federation.invalid_response', idp.name, 'no_id_token');
      const mapping = idp.claimMapping;
      const claims: Record<string, unknown> = { ...idToken };
      const missing = [mapping.email, mapping.emailVerified, mapping.name].some((c) => claims[c] === undefined);
      if (missing && tokens.access_token && config.serverMetadata().userinfo_endpoint) {
        try {
          const info = await oidc.fetchUserInfo(config, tokens.access_token, idToken.sub);
          for (const [k, v] of Object.entries(info)) if (claims[k] === undefined) claims[k] = v;
        } catch (err) {
          throw upstreamErrorOf(err, idp.name, 'userinfo');
        }
      }
      const subject = idToken[mapping.subject];
      if (typeof subject !== 'string' || subject.length === 0 || subject.length > 255) {
        throw new UpstreamError('federation.invalid_response', idp.name, 'no_subject');
      }
      const email = typeof claims[mapping.email] === 'string' && /^[^\s@]+@[^\s@]+$/.test(claims[mapping.email] as string) && (claims[mapping.email] as string).length <= 254
        ? (claims[mapping.email] as string).trim().toLowerCase()
        : null;
      const verified = claims[mapping.emailVerified];
      const name = typeof claims[mapping.name] === 'string' ? (claims[mapping.name] as string).replace(/[\x00-\x1f\x7f]/g, '').slice(0, 200) || null : null;
      return {
        idpId: idp.id,
        issuer: pending.issuer,
        subject,
        email,
        emailVerified: email !== null && (verified === true || verified === 'true'),
        name,
        amr: Array.isArray(idToken.amr) ? idToken.amr.filter((v): v is string => typeof v === 'string') : [],
      };
    },
  };
}

/** The technical reason, for the audit log: codes and messages down the cause chain (never claims or tokens). */
function reasonOf(err: unknown): string {
  const parts: string[] = [];
  let e = err as { code?: string; name?: string; message?: string; error?: string; claim?: string; cause?: unknown } | undefined;
  for (let depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    if (e instanceof Error) parts.push([e.name, (e as { code?: string }).code ?? (e as { error?: string }).error, e.message?.slice(0, 160), (e as { error_description?: string }).error_description?.slice(0, 160)].filter(Boolean).join(': '));
    else if (typeof e.claim === 'string') parts.push(`claim ${e.claim}`);
    else if (typeof e.code === 'string') parts.push(e.code);
    e = e.cause as typeof e;
  }
  return parts.join(' <- ');
}

/** RFC 6749 §5.2 codes that mean "the IdP does not accept Gatehouse as this client". */
const CLIENT_REFUSALS = new Set(['invalid_client', 'unauthorized_client']);

/**
 * openid-client's errors as a message a person can act on, saying which side failed, plus the step
 * and the IdP's OAuth code for the audit log. `during` is the call that threw: authorizationCodeGrant
 * (the callback checks, then the token request, then the ID token) or the userinfo request.
 */
function upstreamErrorOf(err: unknown, idpName: string, during: 'token' | 'userinfo'): UpstreamError {
  const e = err as { name?: string; code?: string; error?: string; message?: string; status?: number };
  const reason = reasonOf(err);
  if (e.name === 'AuthorizationResponseError') {
    // The IdP answered the authorization request itself with an error (RFC 6749 §4.1.2.1).
    const options = { step: 'authorize' as const, oauthError: e.error };
    if (e.error === 'access_denied') return new UpstreamError('federation.access_denied', idpName, reason, options);
    if (e.error && CLIENT_REFUSALS.has(e.error)) return new UpstreamError('federation.client_rejected', idpName, reason, options);
    return new UpstreamError('federation.idp_error', idpName, reason, options);
  }
  if (e.name === 'ResponseBodyError' || e.name === 'WWWAuthenticateChallengeError') {
    // The IdP's token (or userinfo) endpoint answered with an OAuth error (RFC 6749 §5.2): the body's
    // `error`, or for a 401 challenge its WWW-Authenticate parameters (RFC 6750 §3).
    const challenge = Array.isArray((err as { cause?: unknown }).cause) ? (err as { cause: { parameters?: { error?: string } }[] }).cause[0]?.parameters?.error : undefined;
    const oauthError = typeof e.error === 'string' ? e.error : typeof challenge === 'string' ? challenge : undefined;
    const options = { step: during, oauthError };
    if ((oauthError && CLIENT_REFUSALS.has(oauthError)) || (during === 'token' && e.status === 401)) {
      return new UpstreamError('federation.client_rejected', idpName, reason, options);
    }
    return new UpstreamError('federation.idp_error', idpName, reason, options);
  }
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.code === 'OAUTH_TIMEOUT' || /fetch failed|ECONNREFUSED|timeout|aborted/i.test(e.message ?? '')) {
    return new UpstreamError('federation.idp_unavailable', idpName, reason, { step: during });
  }
  if (during === 'token' && e.code === 'OAUTH_INVALID_RESPONSE' && /state|"iss"/i.test(e.message ?? '')) {
    // The callback's own checks (state, RFC 9207 iss) run before the code is exchanged.
    return new UpstreamError('federation.state_mismatch', null, reason, { step: 'callback' });
  }
  // Everything else openid-client refuses after the token response: the ID token (signature, iss, aud, exp, nonce) or the userinfo answer.
  return new UpstreamError('federation.invalid_response', idpName, reason, { step: during === 'token' ? 'id_token' : 'userinfo' });
}
