// One complete password login as a relying party + browser would do it: authorization request
// with PKCE → sign-in page → form post → redirects back to the RP → code exchange at /token.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { signInWithPassword } from '../test/helpers/browserless-user.ts';

export type LoginClient = { client_id: string; client_secret: string; redirect_uris: string[] };
export type LoginUser = { username: string; password: string };

const base64url = (bytes: Buffer) => bytes.toString('base64url');

export function authorizationUrl(server: string, client: LoginClient, codeChallenge: string) {
  const url = new URL('/auth', server);
  url.search = new URLSearchParams({
    client_id: client.client_id,
    redirect_uri: client.redirect_uris[0],
    response_type: 'code',
    scope: 'openid profile email',
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
    state: base64url(randomBytes(12)),
    nonce: base64url(randomBytes(12)),
  }).toString();
  return url.href;
}

export async function redeemCode(server: string, client: LoginClient, code: string, codeVerifier: string): Promise<true | string> {
  const response = await fetch(`${server}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: client.redirect_uris[0], code_verifier: codeVerifier }),
  });
  const body = (await response.json()) as { id_token?: string; access_token?: string };
  if (response.status !== 200 || !body.id_token || !body.access_token) return `token ${response.status}: ${JSON.stringify(body)}`;
  return true;
}

export async function passwordLogin(server: string, client: LoginClient, user: LoginUser): Promise<true | string> {
  const verifier = base64url(randomBytes(32));
  const challenge = base64url(createHash('sha256').update(verifier).digest());
  const { step } = await signInWithPassword(authorizationUrl(server, client, challenge), user.username, user.password);
  if (!step.location?.startsWith(client.redirect_uris[0])) {
    return `sign-in stopped at ${step.status} ${step.location ?? step.body.slice(0, 200)}`;
  }
  const code = new URL(step.location).searchParams.get('code');
  if (!code) return `no code in ${step.location}`;
  return redeemCode(server, client, code, verifier);
}

/**
 * Presents a session id as the browser would (the `_session` cookie, signed like Koa's cookies:
 * HMAC-SHA1 of "name=value" with the first cookie key) and follows the authorization request.
 * True when the provider accepts the session: the code comes back without a sign-in page.
 */
export async function sessionSkipsSignIn(server: string, client: LoginClient, sessionId: string, cookieKey: string): Promise<true | string> {
  const signature = createHmac('sha1', cookieKey).update(`_session=${sessionId}`).digest('base64url');
  const cookie = `_session=${sessionId}; _session.sig=${signature}`;
  const verifier = base64url(randomBytes(32));
  let url = authorizationUrl(server, client, base64url(createHash('sha256').update(verifier).digest()));
  for (let hops = 0; hops < 5; hops++) {
    const response = await fetch(url, { redirect: 'manual', headers: { cookie } });
    await response.arrayBuffer();
    const location = response.headers.get('location');
    if (!location) return `stopped at HTTP ${response.status}`;
    const next = new URL(location, url).href;
    if (next.includes('/interaction/')) return 'sent to the sign-in page';
    if (next.startsWith(client.redirect_uris[0])) {
      const code = new URL(next).searchParams.get('code');
      return code ? redeemCode(server, client, code, verifier) : `no code in ${next}`;
    }
    url = next;
  }
  return 'too many redirects';
}
