// Drives sign-in attempts as different client IPs (TRUST_PROXY + X-Forwarded-For) and lets a wait
// pass by expiring it in the throttle store, never by sleeping.
import { normalizeUsername } from '../../../accounts/account-rules.ts';
import { LIMITERS } from '../../../accounts/throttle.ts';
import { authorizationRequest, type RpClient } from '../../helpers/authorization.ts';
import { CookieJar, follow, formAction } from '../../helpers/browserless-user.ts';
import type { TestServer } from '../../helpers/gatehouse-server.ts';

export type Answer = { status: number; retryAfter: string | null; location: string | null; body: string; url: string };

export const messageCode = (html: string) => html.match(/data-testid="message\/([^"]+)"/)?.[1];

export async function post(jar: CookieJar, url: string, fields: Record<string, string>, ip: string): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header(), 'x-forwarded-for': ip },
    body: new URLSearchParams(fields).toString(),
  });
  jar.store(res.headers.getSetCookie());
  const location = res.headers.get('location');
  return { status: res.status, retryAfter: res.headers.get('retry-after'), location: location ? new URL(location, url).href : null, body: await res.text(), url };
}

/** A fresh /auth (a new sign-in flow) and one username + password submission from `ip`. */
export async function passwordAttempt(server: TestServer, client: RpClient, username: string, password: string, ip = '10.0.0.1') {
  const jar = new CookieJar();
  const page = await follow(jar, authorizationRequest(server.url, client).url, server.url);
  const answer = await post(jar, formAction(page.body, page.url), { username, password }, ip);
  return { jar, answer };
}

/** The current wait of a username ends now (as if its time had passed); its failure count stays. */
export async function letWaitPass(server: TestServer, username: string) {
  await server.gatehouse.rateLimits.limiter(LIMITERS.signInWait, 1).delete(normalizeUsername(username));
}

/** `n` wrong passwords for `username`, each in a new flow from its own IP, each wait let pass. */
export async function failPasswords(server: TestServer, client: RpClient, username: string, n: number, ipPrefix = '10.1') {
  for (let i = 0; i < n; i++) {
    await letWaitPass(server, username);
    const { answer } = await passwordAttempt(server, client, username, `Wrong-guess-${i}`, `${ipPrefix}.${Math.floor(i / 250)}.${(i % 250) + 1}`);
    if (answer.status !== 200 || messageCode(answer.body) !== 'session.invalid_credentials') {
      throw new Error(`guess ${i + 1} was not answered as a wrong password: ${answer.status} ${messageCode(answer.body)}`);
    }
  }
}
