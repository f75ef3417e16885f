// One complete password login as a relying party + browser would do it: authorization request
// with PKCE → sign-in page → form post → redirects back to the RP → code exchange at /token.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { CookieJar, formAction, postForm, signInWithPassword } from '../test/helpers/browserless-user.ts';
import { keepAliveTransport } from './http-transport.ts';
import { totpCode } from '../accounts/totp.ts';
import { TOTP_PERIOD_SECONDS } from '../accounts/security-constants.ts';

export type LoginClient = { client_id: string; client_secret: string; redirect_uris: string[] };
export type LoginUser = { id: string; username: string; password: string; totpSecret?: string };

const base64url = (bytes: Buffer) => bytes.toString('base64url');
/** Where a flow stopped, in one line: the redirect, or the page's title. */
const describe = (step: { status: number; location?: string; body: string }) =>
  `${step.status} ${step.location ?? `"${step.body.match(/<title>([^<]*)<\/title>/)?.[1] ?? step.body.slice(0, 100)}"`}`;

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
  const response = await keepAliveTransport(`${server}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: client.redirect_uris[0], code_verifier: codeVerifier }).toString(),
  });
  const body = JSON.parse(response.body) as { id_token?: string; access_token?: string };
  if (response.status !== 200 || !body.id_token || !body.access_token) return `token ${response.status}: ${response.body}`;
  return true;
}

/**
 * Sign-in page → password form → (with `totp`: the code page → code form) → redirects → code
 * exchange. `totp.nowMs` pins the time the code is computed for (see TotpUserPool).
 */
export async function passwordLogin(server: string, client: LoginClient, user: LoginUser, totp?: { nowMs: number }): Promise<true | string> {
  const verifier = base64url(randomBytes(32));
  const challenge = base64url(createHash('sha256').update(verifier).digest());
  const url = authorizationUrl(server, client, challenge);
  let { jar, step } = await signInWithPassword(url, user.username, user.password, new CookieJar(undefined, keepAliveTransport));
  if (totp) {
    if (step.status !== 200 || !step.body.includes('name="code"')) return `expected the code page, got ${describe(step)}`;
    const code = await totpCode(user.totpSecret!, totp.nowMs);
    step = await postForm(jar, formAction(step.body, step.url), new URL(url).origin, { code });
  }
  if (!step.location?.startsWith(client.redirect_uris[0])) {
    return `sign-in stopped at ${describe(step)}`;
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

/**
 * Hands out users whose authenticator code for the current time step is still unused: a TOTP
 * code works once per account (replays are refused), so each user signs in at most once per
 * 30-second step. When every user has had this step, take() waits for the next one and counts
 * the wait, so a too-small pool shows up in the output instead of as errors.
 */
export class TotpUserPool {
  private readonly lastStep: number[];
  private cursor = 0;
  waitedMs = 0;
  readonly users: LoginUser[];

  constructor(users: LoginUser[]) {
    this.users = users;
    this.lastStep = users.map(() => -1);
  }

  async take(): Promise<{ user: LoginUser; nowMs: number }> {
    for (;;) {
      const nowMs = Date.now();
      const step = Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);
      for (let tried = 0; tried < this.users.length; tried++) {
        const i = this.cursor++ % this.users.length;
        if (this.lastStep[i] < step) {
          this.lastStep[i] = step;
          return { user: this.users[i], nowMs };
        }
      }
      const wait = (step + 1) * TOTP_PERIOD_SECONDS * 1000 - nowMs + 5;
      this.waitedMs += wait;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
