// How an error reads to a person: a plain-language explanation instead of the provider's own words
// ("client is invalid"), a way back (to the app when it is known, else the profile), and the request
// id to quote (the page context carries it). Used by our error handler and oidc-provider's renderError.
import type Provider from 'oidc-provider';
import { render } from '../views/render.ts';

export type WayBack = { href: string; text: string };

/** OAuth/OIDC error codes as a person would understand them (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6). */
const PROVIDER_EXPLANATIONS: Record<string, string> = {
  invalid_client: 'The application that sent you here is not registered with this sign-in service, or its registration is incomplete. Tell the people who run the application.',
  invalid_redirect_uri: 'The application asked to send you back to an address it has not registered, so we stopped here to keep your account safe. Tell the people who run the application.',
  unauthorized_client: 'This application is not allowed to sign people in this way. Tell the people who run the application.',
  unsupported_response_type: 'The application asked to sign you in in a way this service does not support. Tell the people who run the application.',
  invalid_scope: 'The application asked for access this service does not grant. Tell the people who run the application.',
  invalid_request: 'The application sent a sign-in request we could not accept. Go back to the application and try again.',
  invalid_request_object: 'The application sent a sign-in request we could not accept. Go back to the application and try again.',
  request_not_supported: 'The application sent a sign-in request we could not accept. Go back to the application and try again.',
  request_uri_not_supported: 'The application sent a sign-in request we could not accept. Go back to the application and try again.',
  registration_not_supported: 'The application sent a sign-in request we could not accept. Go back to the application and try again.',
  access_denied: 'The sign-in was cancelled or not allowed.',
  login_required: 'You need to sign in again. Go back to the application and start again.',
  consent_required: 'The application needs your permission first. Go back to the application and start again.',
  interaction_required: 'You need to sign in again. Go back to the application and start again.',
  invalid_grant: 'This sign-in link has expired or was already used. Go back to the application and start again.',
  temporarily_unavailable: 'The sign-in service is busy or being updated. Try again in a moment.',
  server_error: 'Something went wrong on our side. Try again in a moment.',
};

const EXPIRED = 'Your sign-in page expired. Go back to the application and start again.';

/** The text for an oidc-provider error; never its error_description, which is written for developers. */
export function explainProviderError(error: string, description?: string): string {
  if (error === 'invalid_request' && /session|interaction/i.test(description ?? '')) return EXPIRED;
  return PROVIDER_EXPLANATIONS[error] ?? 'We could not complete this request. Go back to the application and try again.';
}

export const PROFILE_WAY_BACK: WayBack = { href: '/account', text: 'Go to your Gatehouse profile' };

type ClientLike = { clientId: string; clientName?: string; clientUri?: string } & Record<string, unknown>;

/** A client's home page (client_uri), when it registered one: the only safe way back when its request was refused. */
export function clientHome(client: ClientLike | undefined): WayBack | undefined {
  const uri = client?.clientUri;
  if (!uri || !/^https?:\/\//i.test(uri)) return undefined;
  return { href: uri, text: `Back to ${client.clientName ?? client.clientId}` };
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
    return { href: back.href, text: `Back to ${name}` };
  }
  return clientHome(client);
}

export function renderErrorPage(model: { status: number; code: string; description: string; back?: WayBack }): string {
  return render('error', {
    title: model.status === 404 ? 'page.title.page_not_found' : model.status >= 500 ? 'page.error.title_server' : 'page.error.title_client',
    code: model.code,
    description: model.description,
    back: model.back ?? PROFILE_WAY_BACK,
  });
}
