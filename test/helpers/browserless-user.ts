import { totpCode } from '../../accounts/totp.ts';

// A person without JavaScript: follows redirects by hand with a cookie jar and submits the
// sign-in form, as a browser would. Used by protocol tests and the benchmark.
/**
 * How a jar's requests go out: fetch by default; the benchmark passes node:http over keep-alive
 * connections (bench/http-transport.ts), which costs its load generator less CPU per request.
 */
export type Transport = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<{ status: number; setCookies: string[]; location?: string; body: string }>;

export class CookieJar {
  private cookies = new Map<string, string>();
  /** The browser this jar plays (its User-Agent header), when a test needs devices told apart. */
  readonly userAgent?: string;
  readonly transport?: Transport;
  constructor(userAgent?: string, transport?: Transport) {
    this.userAgent = userAgent;
    this.transport = transport;
  }
  store(setCookies: string[]) {
    for (const header of setCookies) {
      const [pair] = header.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(header) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export type Step = { status: number; url: string; location?: string; body: string };

export async function request(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Step> {
  const headers = { ...(jar.userAgent ? { 'user-agent': jar.userAgent } : {}), ...(init.headers as Record<string, string>), cookie: jar.header() };
  if (jar.transport) {
    if (init.body !== undefined && typeof init.body !== 'string') throw new Error('a transport takes string bodies only');
    const answer = await jar.transport(url, { method: init.method ?? 'GET', headers, body: init.body });
    jar.store(answer.setCookies);
    return { status: answer.status, url, location: answer.location ? new URL(answer.location, url).href : undefined, body: answer.body };
  }
  const response = await fetch(url, { ...init, redirect: 'manual', headers });
  jar.store(response.headers.getSetCookie());
  const location = response.headers.get('location') ?? undefined;
  return { status: response.status, url, location: location ? new URL(location, url).href : undefined, body: await response.text() };
}

/** Follows redirects while they stay on `origin`; returns the first page or off-origin redirect. */
export async function follow(jar: CookieJar, url: string, origin: string, init?: RequestInit): Promise<Step> {
  let step = await request(jar, url, init);
  while (step.location && step.location.startsWith(origin)) step = await request(jar, step.location);
  return step;
}

export function formAction(html: string, base: string): string {
  const match = html.match(/<form method="post" action="([^"]+)"/);
  if (!match) throw new Error('no form on page');
  return new URL(match[1].replace(/&amp;/g, '&'), base).href;
}

export function postForm(jar: CookieJar, url: string, origin: string, fields: Record<string, string>) {
  return follow(jar, url, origin, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

/**
 * From an authorization URL to the relying party's redirect: opens the sign-in page, submits
 * username + password, and returns the final off-origin redirect (or the page it stopped on).
 */
export async function signInWithPassword(authorizationUrl: string, username: string, password: string, jar = new CookieJar()) {
  const origin = new URL(authorizationUrl).origin;
  const page = await follow(jar, authorizationUrl, origin);
  if (page.status !== 200) return { jar, step: page };
  const step = await postForm(jar, formAction(page.body, page.url), origin, { username, password });
  return { jar, step };
}

/**
 * Password, then the authenticator-app code when the MFA page asks for it. One TOTP code works
 * once (replays are refused), so a user signs in at most once per 30-second step.
 */
export async function signIn(
  authorizationUrl: string,
  user: { username: string; password: string; totpSecret?: string },
  jar = new CookieJar(),
) {
  const first = await signInWithPassword(authorizationUrl, user.username, user.password, jar);
  if (first.step.status !== 200 || !first.step.body.includes('name="code"') || !user.totpSecret) return first;
  const origin = new URL(authorizationUrl).origin;
  const step = await postForm(jar, formAction(first.step.body, first.step.url), origin, { code: await totpCode(user.totpSecret) });
  return { jar, step };
}
