// Every protocol error oidc-provider answers (invalid_client, invalid_grant, invalid_request…), not
// only server_error, is logged at info with the request id, so an operator can match a relying
// party's complaint to what Gatehouse saw. Logged: the event, route, error code, its description,
// the client id and the status. Never the parameters, headers or body (codes, secrets, tokens).
import type Provider from 'oidc-provider';
import type { Logger } from './logger.ts';

/** oidc-provider's per-endpoint error events (lib/helpers/initialize_app.js); server_error is logged apart, at error. */
export const PROTOCOL_ERROR_EVENTS = [
  'authorization.error', 'backchannel.error', 'grant.error', 'userinfo.error', 'jwks.error', 'discovery.error',
  'introspection.error', 'revocation.error', 'end_session.error', 'end_session_confirm.error', 'end_session_success.error',
  'pushed_authorization_request.error', 'registration_create.error', 'registration_read.error', 'registration_update.error',
  'registration_delete.error', 'device_authorization.error', 'code_verification.error', 'device_resume.error',
  'backchannel_authentication.error', 'credential.error', 'challenge.error', 'openid_credential_issuer.error',
] as const;

type ProtocolError = Error & { error?: string; error_description?: string; statusCode?: number };
type Ctx = { response: { get(name: string): string }; status: number; oidc?: { route?: string; client?: { clientId: string } } };

export function logProtocolErrors(provider: Provider, logger: Logger) {
  for (const event of PROTOCOL_ERROR_EVENTS) {
    // Typed as a plain EventEmitter: @types/oidc-provider does not list every endpoint's event.
    (provider as unknown as NodeJS.EventEmitter).on(event, (ctx: Ctx, err: ProtocolError) => {
      logger.info({
        requestId: ctx.response.get('X-Request-Id') || undefined,
        event,
        route: ctx.oidc?.route,
        error: err?.error ?? 'unknown',
        description: err?.error_description,
        clientId: ctx.oidc?.client?.clientId,
        status: err?.statusCode ?? ctx.status,
      }, 'protocol error');
    });
  }
}
