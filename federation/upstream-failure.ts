// A failed upstream leg, described once for the three places that need it: the audit event in the
// IdP's organization (details), the operator's log line, and the administrator's audit log page
// (a human reason). The person's own message comes from UpstreamError itself (which side failed).
import type { StoredIdentityProvider } from './identity-provider.ts';
import type { UpstreamError } from './upstream-client.ts';
import type { Message, MessageCode, MessageValue } from '../accounts/messages/language.ts';

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

/** The step of the sign-in that failed, as the audit log names it (catalog codes). */
const STEP_CODES: Record<string, MessageCode> = {
  discovery: 'page.admin.audit.step.discovery',
  authorize: 'page.admin.audit.step.authorize',
  callback: 'page.admin.audit.step.callback',
  token: 'page.admin.audit.step.token',
  id_token: 'page.admin.audit.step.id_token',
  userinfo: 'page.admin.audit.step.userinfo',
};

/** What an administrator reads in the audit log for an upstream failure (a catalog message, rendered in the reader's language); undefined for other events. */
export function describeUpstreamFailure(details: Record<string, unknown> | null | undefined): Message | undefined {
  if (!details || details.method !== 'upstream' || typeof details.reason !== 'string') return undefined;
  const idp: MessageValue = typeof details.idpName === 'string' ? details.idpName : { code: 'page.admin.audit.upstream.the_idp' };
  const stepCode = STEP_CODES[String(details.step)];
  const step: MessageValue = stepCode ? { code: stepCode } : String(details.step ?? '');
  const detail = typeof details.oauthError === 'string' ? ` (${details.oauthError})` : '';
  switch (details.reason) {
    case 'federation.client_rejected':
      return { code: 'page.admin.audit.upstream.client_rejected', vars: { idp, step, detail } };
    case 'federation.invalid_response':
      return { code: 'page.admin.audit.upstream.invalid_response', vars: { idp, step, detail } };
    case 'federation.idp_unavailable':
      return { code: 'page.admin.audit.upstream.idp_unavailable', vars: { idp, step } };
    case 'federation.access_denied':
      return { code: 'page.admin.audit.upstream.access_denied', vars: { idp, detail } };
    case 'federation.idp_error':
      return { code: 'page.admin.audit.upstream.idp_error', vars: { idp, step, detail } };
    case 'federation.state_mismatch':
      return { code: 'page.admin.audit.upstream.state_mismatch' };
    default:
      return undefined;
  }
}
