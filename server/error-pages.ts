// How an error reads to a person: a plain-language explanation instead of the provider's own words
// ("client is invalid"), a way back (to the app when it is known, else the profile), and the request
// id to quote (the page context carries it). Used by our error handler and oidc-provider's renderError.
import type Provider from 'oidc-provider';
import { render } from '../views/render.ts';
import { translatorFor } from '../views/language.ts';

export type WayBack = { href: string; text: string };

/** OAuth/OIDC error codes as a person would understand them (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6): catalog codes. */
const PROVIDER_EXPLANATIONS: Record<string, string> = {
  invalid_client: 'error.provider.invalid_client',
  invalid_redirect_uri: 'error.provider.invalid_redirect_uri',
  unauthorized_client: 'error.provider.unauthorized_client',
  unsupported_response_type: 'error.provider.unsupported_response_type',
  invalid_scope: 'error.provider.invalid_scope',
  invalid_request: 'error.provider.bad_request',
  invalid_request_object: 'error.provider.bad_request',
  request_not_supported: 'error.provider.bad_request',
  request_uri_not_supported: 'error.provider.bad_request',
  registration_not_supported: 'error.provider.bad_request',
  access_denied: 'error.provider.access_denied',
  login_required: 'error.provider.sign_in_again',
  interaction_required: 'error.provider.sign_in_again',
  consent_required: 'error.provider.consent_required',
  invalid_grant: 'error.provider.invalid_grant',
  temporarily_unavailable: 'error.provider.temporarily_unavailable',
  server_error: 'server_error',
};

/** The text for an oidc-provider error, in the reader's language; never its error_description, which is written for developers. */
export function explainProviderError(error: string, description?: string): string {
  const { t } = translatorFor();
  if (error === 'invalid_request' && /session|interaction/i.test(description ?? '')) return t('error.session_expired');
  return t(Object.hasOwn(PROVIDER_EXPLANATIONS, error) ? PROVIDER_EXPLANATIONS[error] : 'error.provider.other');
}

export const profileWayBack = (): WayBack => ({ href: '/account', text: translatorFor().t('page.error.back_profile') });
const backToApp = (app: string): WayBack['text'] => translatorFor().t('page.error.back_to_app', { app });

type ClientLike = { clientId: string; clientName?: string; clientUri?: string } & Record<string, unknown>;

/** A client's home page (client_uri), when it registered one: the only safe way back when its request was refused. */
export function clientHome(client: ClientLike | undefined): WayBack | undefined {
  const uri = client?.clientUri;
  if (!uri || !/^https?:\/\//i.test(uri)) return undefined;
  return { href: uri, text: backToApp(client.clientName ?? client.clientId) };
}

/**
 * The way back from a failed page of sign-in `uid`: while the interaction still exists, its
 * (already validated) redirect_uri with error=access_denied, as RFC 6749 §4.1.2.1 allows; once it
 * has expired, the client's home page; else the profile.
 */
export async function wayBackFromInteraction(provider: Provider, issuer: string, uid: string): Promise<WayBack | undefined> {
  const interaction = await provider.Interaction.find(uid).catch(() => undefined);
  const params = (interaction?.params ?? {}) as Record<string, unknown>;
  const clientId = typeof params.client_id === 'string' ? params.client_id : undefined;
  const client = clientId ? ((await provider.Client.find(clientId).catch(() => undefined)) as unknown as ClientLike | undefined) : undefined;
  if (!client) return undefined;
  const redirectUri = typeof params.redirect_uri === 'string' ? params.redirect_uri : undefined;
  const name = client.clientName ?? client.clientId;
  if (redirectUri && (client as unknown as { redirectUriAllowed?: (u: string) => boolean }).redirectUriAllowed?.(redirectUri)) {
    const back = new URL(redirectUri);
    back.searchParams.set('error', 'access_denied');
    back.searchParams.set('error_description', 'the person left the sign-in');
    if (typeof params.state === 'string') back.searchParams.set('state', params.state);
    back.searchParams.set('iss', issuer); // RFC 9207
    return { href: back.href, text: backToApp(name) };
  }
  return clientHome(client);
}

export function renderErrorPage(model: { status: number; code: string; description: string; back?: WayBack }): string {
  return render('error', {
    title: model.status === 404 ? 'page.title.page_not_found' : model.status >= 500 ? 'page.error.title_server' : 'page.error.title_client',
    code: model.code,
    description: model.description,
    back: model.back ?? profileWayBack(),
  });
}
