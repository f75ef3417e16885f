// Fixtures for the organization features: members placed in an organization through the real
// store, access tokens obtained the way clients get them (sign-in + code exchange, or client
// credentials), and a small admin API caller.
import type { Role } from '../../accounts/account.ts';
import { newTotpSecret } from '../../accounts/totp.ts';
import { signIn } from './browserless-user.ts';
import { authorizationRequest, redeemCode } from './authorization.ts';
import { uniqueName, type TestServer, type TestUser } from './gatehouse-server.ts';

export const PASSWORD = 'Correct-Horse-9';

/** An account placed in `organizationId` (or one of its groups) with one role, and an authenticator app. */
export async function addMember(
  server: TestServer,
  input: { organizationId: string; role?: Role; groupId?: string; email?: string; username?: string; mfa?: boolean },
): Promise<TestUser> {
  const { orgs } = server.gatehouse.organizations;
  const username = input.username ?? uniqueName('member');
  const account = await orgs.createAccount({
    account: { username, email: input.email ?? `${username}@example.com` },
    passwordHash: await server.gatehouse.hasher.hash(PASSWORD),
  });
  await orgs.updateAccount(account.id, { emailVerified: true });
  await orgs.addMembership({ accountId: account.id, organizationId: input.groupId ?? input.organizationId, role: input.role ?? 'member' });
  let totpSecret: string | undefined;
  if (input.mfa !== false) {
    totpSecret = newTotpSecret();
    await server.gatehouse.mfa.addMethod(account.id, 'totp', 'Test app', { secret: server.gatehouse.box.seal(totpSecret) });
  }
  return { id: account.id, username, password: PASSWORD, organizationId: input.organizationId, totpSecret };
}

/** An account in no organization (as after an administrator removed it). */
export async function addUnattached(server: TestServer, input: { email?: string; username?: string } = {}): Promise<TestUser> {
  const { orgs } = server.gatehouse.organizations;
  const username = input.username ?? uniqueName('loner');
  const account = await orgs.createAccount({
    account: { username, email: input.email ?? `${username}@example.com` },
    passwordHash: await server.gatehouse.hasher.hash(PASSWORD),
  });
  await orgs.updateAccount(account.id, { emailVerified: true });
  const totpSecret = newTotpSecret();
  await server.gatehouse.mfa.addMethod(account.id, 'totp', 'Test app', { secret: server.gatehouse.box.seal(totpSecret) });
  return { id: account.id, username, password: PASSWORD, organizationId: '', totpSecret };
}

/** A person's access token from a first-party client: authorization code + PKCE, password and TOTP. */
export async function userAccessToken(server: TestServer, user: TestUser, client?: { client_id: string; client_secret?: string; redirect_uris: string[] }) {
  const c = client ?? (await server.createClient({ first_party: true }));
  const { url, verifier } = authorizationRequest(server.url, c, { state: 'x' });
  const { step } = await signIn(url, user);
  if (!step.location?.startsWith(c.redirect_uris[0])) throw new Error(`sign-in did not reach the client: ${step.status} ${step.location ?? step.body.slice(0, 300)}`);
  const { body } = await redeemCode(server.url, c, step.location, verifier);
  if (!body.access_token) throw new Error(`no access token: ${JSON.stringify(body)}`);
  return body.access_token;
}

/** A connected app's client-credentials token. */
export async function appAccessToken(server: TestServer, clientId: string, secret: string, scope?: string) {
  const response = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }),
  });
  const body = (await response.json()) as { access_token?: string; error?: string };
  return { status: response.status, token: body.access_token, body };
}

export type ApiResponse = { status: number; body: any; headers: Headers; text: string };

/** Calls the admin API with a bearer token (or none). */
export async function api(server: TestServer, token: string | undefined, method: string, path: string, body?: unknown): Promise<ApiResponse> {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed, headers: response.headers, text };
}
