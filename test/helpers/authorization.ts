// A relying party's side of the code flow, by hand: the authorization URL with PKCE, the code
// redemption, the ID token's claims. Shared by tests that drive the pages themselves.
import { createHash, randomBytes } from 'node:crypto';
import { CookieJar, follow, formAction, postForm } from './browserless-user.ts';

export type RpClient = { client_id: string; client_secret?: string; redirect_uris: string[] };

/** An authorization request for `client` (code + S256 PKCE); `extra` adds or overrides parameters. */
export function authorizationRequest(serverUrl: string, client: RpClient, extra: Record<string, string> = {}) {
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL('/auth', serverUrl);
  url.search = new URLSearchParams({
    client_id: client.client_id,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: client.redirect_uris[0],
    state: 's',
    nonce: 'n',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...extra,
  }).toString();
  return { url: url.href, verifier };
}

/** Opens the sign-in page of a new authorization request and submits the password. */
export async function startPasswordLogin(
  serverUrl: string,
  client: RpClient,
  user: { username: string; password: string },
  extra: Record<string, string> = {},
  jar = new CookieJar(),
) {
  const { url, verifier } = authorizationRequest(serverUrl, client, extra);
  const page = await follow(jar, url, serverUrl);
  const step = await postForm(jar, formAction(page.body, page.url), serverUrl, { username: user.username, password: user.password });
  return { jar, step, verifier };
}

/** Redeems the code of a redirect to the client (client_secret_basic + the PKCE verifier). */
export async function redeemCode(serverUrl: string, client: RpClient, location: string, verifier: string) {
  const code = new URL(location).searchParams.get('code');
  if (!code) throw new Error(`no code in ${location}`);
  const response = await fetch(`${serverUrl}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret ?? ''}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: client.redirect_uris[0], code_verifier: verifier }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

export function decodeJwtPayload(jwt: string): Record<string, any> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

export async function idTokenClaims(serverUrl: string, client: RpClient, location: string, verifier: string) {
  const { body } = await redeemCode(serverUrl, client, location, verifier);
  if (!body.id_token) throw new Error(`no ID token: ${JSON.stringify(body)}`);
  return decodeJwtPayload(body.id_token);
}
