// A test double of an external OpenID Connect IdP: a real oidc-provider instance on its own port, with
// its own issuer and RSA signing key, one client registered for Gatehouse, and a minimal login page of
// its own (username + password, or "Cancel") that tests drive with a browser or a cookie jar. It is not
// Gatehouse code. Hooks let attack tests tamper with what it answers (the token response's ID token).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSign, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import Provider from 'oidc-provider';
import { CookieJar, follow, postForm, type Step } from './browserless-user.ts';

export type UpstreamUser = { login: string; password: string; sub: string; email?: string; emailVerified?: boolean; name?: string };

export type UpstreamIdp = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  users: Map<string, UpstreamUser>;
  addUser(user: Partial<UpstreamUser> & { login: string }): UpstreamUser;
  /** Signs a JWT with this IdP's key (or `key`), as its ID tokens are signed. */
  signJwt(claims: Record<string, unknown>, options?: { key?: KeyObject; kid?: string }): string;
  /** Rewrites the token endpoint's JSON answer (attack tests); undefined → untouched. */
  tamperTokenResponse?: (body: Record<string, unknown>) => Record<string, unknown>;
  /** The amr it reports for sign-ins (e.g. ['pwd', 'mfa']). */
  amr?: string[];
  /** How many token requests it answered. */
  tokenRequests: number;
  close(): Promise<void>;
  /** Stops answering (connection refused) until `start` again — "the IdP is down". */
  stop(): Promise<void>;
  start(): Promise<void>;
};

/** oidc-provider state in a Map: this IdP lives as long as one test file. */
function memoryAdapter(model: string) {
  const store = new Map<string, { payload: Record<string, unknown>; expires: number }>();
  const key = (id: string) => `${model}:${id}`;
  const live = (id: string) => {
    const entry = store.get(key(id));
    return entry && entry.expires > Date.now() ? entry.payload : undefined;
  };
  return {
    async upsert(id: string, payload: Record<string, unknown>, expiresIn: number) {
      store.set(key(id), { payload, expires: Date.now() + expiresIn * 1000 });
    },
    find: async (id: string) => live(id),
    async findByUid(uid: string) {
      for (const [, entry] of store) if (entry.payload.uid === uid && entry.expires > Date.now()) return entry.payload;
      return undefined;
    },
    findByUserCode: async () => undefined,
    async consume(id: string) {
      const payload = live(id);
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    },
    async destroy(id: string) {
      store.delete(key(id));
    },
    async revokeByGrantId(grantId: string) {
      for (const [k, entry] of store) if (entry.payload.grantId === grantId) store.delete(k);
    },
  };
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startUpstreamIdp(options: {
  /** Gatehouse's redirect URI for IdPs: `${gatehouse.url}/federation/callback`. */
  redirectUri: string;
  /** Distinguishes its cookies from Gatehouse's (same host, other port) and the other upstream's. */
  name?: string;
  /** Listen address; cookies are per host, not per port. */
  host?: string;
  /** false → claims only from userinfo (OIDC Core default); true → scope claims in the ID token. */
  claimsInIdToken?: boolean;
  /** How Gatehouse must authenticate at this IdP's token endpoint (the only method it accepts); default client_secret_basic. */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  /** For private_key_jwt: Gatehouse's public keys (what `${gatehouse.url}/jwks` publishes), registered with the client. */
  clientJwks?: { keys: Record<string, unknown>[] };
}): Promise<UpstreamIdp> {
  const name = options.name ?? `up${randomBytes(3).toString('hex')}`;
  const host = options.host ?? '127.0.0.1';
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://${host}:${port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `${name}-key`;
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
  const clientId = `gatehouse-${name}`;
  const clientSecret = randomBytes(24).toString('base64url');
  const users = new Map<string, UpstreamUser>();
  const bySub = (sub: string) => [...users.values()].find((u) => u.sub === sub);

  const idp: UpstreamIdp = {
    issuer,
    clientId,
    clientSecret,
    users,
    tokenRequests: 0,
    addUser(user) {
      const full: UpstreamUser = {
        password: 'Upstream-Pass-1',
        sub: randomUUID(),
        email: `${user.login}@example.com`,
        emailVerified: true,
        name: user.login,
        ...user,
      };
      users.set(full.login, full);
      return full;
    },
    signJwt(claims, opts = {}) {
      const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: opts.kid ?? kid })).toString('base64url');
      const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
      const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(opts.key ?? privateKey).toString('base64url');
      return `${header}.${payload}.${signature}`;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async start() {
      await new Promise<void>((resolve) => server.listen(port, host, resolve));
    },
  };

  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [options.redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: options.tokenEndpointAuthMethod ?? 'client_secret_basic',
      ...(options.tokenEndpointAuthMethod === 'private_key_jwt' ? { jwks: options.clientJwks, token_endpoint_auth_signing_alg: 'RS256' } : {}),
    }],
    // The one method this IdP announces and accepts (discovery's token_endpoint_auth_methods_supported).
    clientAuthMethods: [options.tokenEndpointAuthMethod ?? 'client_secret_basic'],
    adapter: memoryAdapter as never,
    jwks: { keys: [jwk as never] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    cookies: {
      keys: [randomBytes(32).toString('hex')],
      names: { session: `${name}_session`, interaction: `${name}_interaction`, resume: `${name}_resume` },
    },
    async findAccount(_ctx, sub) {
      const user = bySub(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { sub, email: user.email, email_verified: user.emailVerified, name: user.name };
        },
      };
    },
    claims: { openid: ['sub', 'amr', 'acr', 'auth_time'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: options.claimsInIdToken === false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/login/${interaction.uid}` },
    pkce: { required: () => true },
    // Gatehouse is this IdP's only client: grant what it asks, no consent page.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId });
      grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
      await grant.save();
      return grant;
    },
  });
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route === 'token') {
      idp.tokenRequests += 1;
      if (idp.tamperTokenResponse && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') {
        ctx.body = idp.tamperTokenResponse(ctx.body as Record<string, unknown>);
      }
    }
  });
  const providerCallback = provider.callback();

  // The IdP's own login page: GET shows the form, POST checks the password or cancels.
  server.on('request', async (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const match = /^\/login\/([^/]+)$/.exec(url.pathname);
    if (!match) return providerCallback(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><title>${escape(name)} sign-in</title><h1>Sign in to ${escape(name)}</h1>
<form method="post" action="/login/${details.uid}"><label for="login">Login</label><input id="login" name="login">
<label for="pw">Password</label><input id="pw" name="password" type="password"><button type="submit" name="action" value="login">Sign in to ${escape(name)}</button>
<button type="submit" name="action" value="cancel">Cancel</button></form>`);
        return;
      }
      const body = await new Promise<string>((resolve) => {
        let data = '';
        req.on('data', (c) => (data += c));
        req.on('end', () => resolve(data));
      });
      const form = new URLSearchParams(body);
      if (form.get('action') === 'cancel') {
        await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the user cancelled' }, { mergeWithLastSubmission: false });
        return;
      }
      const user = users.get(form.get('login') ?? '');
      if (!user || user.password !== form.get('password')) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><p id="error">Wrong login or password</p><form method="post" action="/login/${details.uid}"><input name="login"><input name="password" type="password"><button type="submit" name="action" value="login">Sign in</button></form>`);
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: user.sub, ...(idp.amr ? { amr: idp.amr } : {}) } }, { mergeWithLastSubmission: false });
    } catch (err) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`upstream login error: ${(err as Error).message}`);
    }
  });
  return idp;
}

/**
 * Without a browser: from Gatehouse's redirect to the IdP, through its login page, back to Gatehouse's
 * callback and on (following redirects on Gatehouse's origin). Returns where it stopped.
 */
export async function upstreamSignIn(jar: CookieJar, idp: UpstreamIdp, authorizationUrl: string, user: { login: string; password: string } | 'cancel', gatehouseOrigin: string): Promise<Step> {
  const login = await follow(jar, authorizationUrl, idp.issuer);
  if (login.status !== 200 || !/\/login\//.test(login.url)) return login;
  const action = new URL(/action="([^"]+)"/.exec(login.body)![1], login.url).href;
  const fields: Record<string, string> = user === 'cancel' ? { action: 'cancel' } : { action: 'login', login: user.login, password: user.password };
  let back = await postForm(jar, action, idp.issuer, fields);
  // Another user than the IdP session's: oidc-provider ends that session first with a self-submitting
  // form (what a browser's JavaScript does, done by hand).
  const endSession = /<form method="post" action="([^"]+\/session\/end\/confirm)">/.exec(back.body);
  if (back.status === 200 && endSession) {
    const hidden = Object.fromEntries([...back.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [m[1], m[2]]));
    back = await postForm(jar, endSession[1], idp.issuer, hidden);
  }
  if (!back.location?.startsWith(gatehouseOrigin)) return back;
  return follow(jar, back.location, gatehouseOrigin);
}
