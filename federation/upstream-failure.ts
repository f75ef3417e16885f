// A failed upstream leg, described once for the three places that need it: the audit event in the
// IdP's organization (details), the operator's log line, and the administrator's audit log page
// (a human reason). The person's own message comes from UpstreamError itself (which side failed).
import type { StoredIdentityProvider } from './identity-provider.ts';
import type { UpstreamError } from './upstream-client.ts';

export type UpstreamFailureDetails = {
  method: 'upstream';
  idp: string;
  idpName: string;
  /** discovery · authorize · callback · token · id_token · userinfo */
  step: string;
  /** The IdP's own OAuth error code (e.g. unauthorized_client), when it sent one. */
  oauthError?: string;
  /** Gatehouse's code for what the person was told (federation.client_rejected …). */
  reason: string;
  /** openid-client's technical reason, shortened (never tokens or claims). */
  upstream: string;
};

export function upstreamFailureDetails(idp: Pick<StoredIdentityProvider, 'id' | 'name'>, err: UpstreamError): UpstreamFailureDetails {
  return {
    method: 'upstream',
    idp: idp.id,
    idpName: idp.name,
    step: err.step ?? 'callback',
    ...(err.oauthError ? { oauthError: err.oauthError } : {}),
    reason: err.code,
    upstream: err.reason.slice(0, 300),
  };
}

const STEP_WORDS: Record<string, string> = {
  discovery: 'fetching its discovery document',
  authorize: 'the sign-in at the identity provider',
  callback: 'checking its answer',
  token: 'the token request',
  id_token: 'checking the ID token',
  userinfo: 'the userinfo request',
};

/** What an administrator reads in the audit log for an upstream failure; undefined for other events. */
export function describeUpstreamFailure(details: Record<string, unknown> | null | undefined): string | undefined {
  if (!details || details.method !== 'upstream' || typeof details.reason !== 'string') return undefined;
  const name = typeof details.idpName === 'string' ? details.idpName : 'The identity provider';
  const at = STEP_WORDS[String(details.step)] ?? String(details.step ?? 'the sign-in');
  const code = typeof details.oauthError === 'string' ? ` (${details.oauthError})` : '';
  switch (details.reason) {
    case 'federation.client_rejected':
      return `${name} refused Gatehouse’s client credentials during ${at}${code}: check the client ID, the secret and the token endpoint authentication method registered at both ends.`;
    case 'federation.invalid_response':
      return `${name}’s answer could not be verified during ${at}${code}: its signature, issuer, audience, expiry or nonce did not match.`;
    case 'federation.idp_unavailable':
      return `${name} could not be reached or did not answer in time during ${at}.`;
    case 'federation.access_denied':
      return `The person cancelled, or ${name} refused the sign-in${code}.`;
    case 'federation.idp_error':
      return `${name} returned an error during ${at}${code}.`;
    case 'federation.state_mismatch':
      return 'A sign-in answer arrived that did not belong to the sign-in in progress (replayed, or from another browser).';
    default:
      return undefined;
  }
}
