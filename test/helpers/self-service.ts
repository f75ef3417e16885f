// Journeys through the self-service pages without a browser: sign in to the profile (password,
// authenticator code, "continue for now" on the email prompt), read CSRF tokens, move the clock.
import { totpCode } from '../../accounts/totp.ts';
import { CookieJar, follow, postForm, type Step } from './browserless-user.ts';
import type { TestServer, TestUser } from './gatehouse-server.ts';

/** A clock tests move instead of sleeping (TOTP codes are single use per 30 s step, so sign-ins move it). */
export function createTestClock(start = Date.now()) {
  let offset = start - Date.now();
  return {
    now: () => Date.now() + offset,
    advance(ms: number) {
      offset += ms;
    },
  };
}
export type TestClock = ReturnType<typeof createTestClock>;

/** The action of the first POST form whose action matches. */
export function formActionMatching(html: string, base: string, pattern: RegExp): string {
  for (const m of html.matchAll(/<form method="post" action="([^"]+)"/g)) {
    const action = m[1].replace(/&amp;/g, '&');
    if (pattern.test(action)) return new URL(action, base).href;
  }
  throw new Error(`no form matching ${pattern} on the page:\n${html.slice(0, 2000)}`);
}

export function csrfOf(html: string): string {
  const match = html.match(/name="csrf" value="([^"]+)"/);
  if (!match) throw new Error('no CSRF token on the page');
  return match[1];
}

export const messageCodes = (html: string) => [...html.matchAll(/data-testid="message\/([^"]+)"/g)].map((m) => m[1]);

/**
 * Opens `path` (default /account): when the profile sends the person to sign in, signs in as
 * `user` (password, then the authenticator code, then "Continue for now" on the verify-email
 * prompt, "Allow" on a consent page) and follows back. Returns the page it lands on.
 */
export async function openSignedIn(
  server: TestServer,
  user: Pick<TestUser, 'username' | 'password' | 'totpSecret'>,
  options: { jar?: CookieJar; path?: string; clock?: TestClock } = {},
): Promise<{ jar: CookieJar; step: Step }> {
  const jar = options.jar ?? new CookieJar();
  let step = await follow(jar, `${server.url}${options.path ?? '/account'}`, server.url);
  for (let i = 0; i < 6 && step.url.includes('/interaction/'); i++) {
    if (step.body.includes('name="password"') && step.body.includes('name="username"')) {
      step = await postForm(jar, formActionMatching(step.body, step.url, /\/interaction\//), server.url, { username: user.username, password: user.password });
    } else if (step.body.includes('name="password"')) {
      step = await postForm(jar, formActionMatching(step.body, step.url, /\/interaction\//), server.url, { password: user.password });
    } else if (step.body.includes('name="code"') && user.totpSecret && !step.body.includes('verify-email')) {
      options.clock?.advance(30_000);
      const code = await totpCode(user.totpSecret, options.clock?.now());
      step = await postForm(jar, formActionMatching(step.body, step.url, /\/interaction\//), server.url, { code });
    } else if (step.body.includes('/consent"')) {
      step = await postForm(jar, formActionMatching(step.body, step.url, /\/consent$/), server.url, {});
    } else if (step.body.includes('/continue"')) {
      step = await postForm(jar, formActionMatching(step.body, step.url, /\/continue$/), server.url, {});
    } else {
      break;
    }
  }
  return { jar, step };
}

/** Posts a profile form with the page's CSRF token. */
export async function postWithCsrf(jar: CookieJar, server: TestServer, page: Step, path: string, fields: Record<string, string>) {
  return postForm(jar, `${server.url}${path}`, server.url, { csrf: csrfOf(page.body), ...fields });
}
