// Bounded fuzz: a few thousand requests with hostile input (NUL, broken UTF-8, malformed escapes,
// wrong types, huge values) over every form route (enumerated from the mounted routers, so a new
// route is covered without touching this file), every operation of the admin API's OpenAPI
// document (with an owner's bearer token) and every endpoint of the discovery document.
// The rule it pins: bad input is the client's mistake, never a 5xx. The seed is fixed, so a
// failure replays exactly; the report names each request that answered 5xx.
import assert from 'node:assert/strict';
import http from 'node:http';
import { startGatehouse, type TestServer, type TestUser } from '../../helpers/gatehouse-server.ts';
import { userAccessToken } from '../../helpers/organization-fixtures.ts';
import { CookieJar, follow, formAction, postForm } from '../../helpers/browserless-user.ts';
import { createTestClock, csrfOf, openSignedIn } from '../../helpers/self-service.ts';
import { authorizationRequest } from '../../helpers/authorization.ts';

const SEED = 20261201;
const REQUESTS_PER_FORM_ROUTE = 14;
const REQUESTS_PER_API_OPERATION = 24;
const REQUESTS_PER_PROVIDER_ENDPOINT = 30;
const CONCURRENCY = 4;

/** mulberry32: small, seedable, good enough to pick cases. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = random(SEED);
const pick = <T,>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];

/** Raw URL-encoded fragments: sent as-is, so broken escapes and bytes reach the server untouched. */
const RAW_BAD = ['%00', 'a%00b', '%C3%28', '%FF%FE', '%ED%A0%80', '%E2%82', '%', '%zz', '%25%00', 'x'.repeat(4000), '%F0%9F%98%80', '..%2F..%2Fetc', '-1', '0', '1e309', '%0D%0ASet-Cookie:%20x=1', '<script>', "'%20OR%201=1--"];
/** Decoded JSON values of every wrong shape. */
const JSON_BAD: unknown[] = ['\u0000', 'a\u0000b', '\ud800', 'x'.repeat(20_000), '', ' ', 1e308, -1, 2 ** 53 + 1, 0.5, true, false, null, [], {}, [[['deep']]], { $gt: '' }, ['\u0000'], { '\u0000': 1 }, '9999-99-99', 'not-an-email', '00000000-0000-0000-0000-000000000000'];
/** Bodies that are not what their Content-Type says (bytes). */
const BYTES_BAD: [string, Buffer][] = [
  ['application/json', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])], // {"a":"\xff\xfe"}
  ['application/json', Buffer.from('{"a":')],
  ['application/json', Buffer.from('[1,2,3]')],
  ['application/json', Buffer.from('"\\u0000"')],
  ['application/x-www-form-urlencoded', Buffer.from([0x61, 0x3d, 0xc3, 0x28])],
  ['application/x-www-form-urlencoded', Buffer.from('a=%00&a=1&b')],
  ['text/plain', Buffer.from('hello')],
  ['multipart/form-data; boundary=x', Buffer.from('--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n\u0000\r\n--x--')],
];

type Sent = { method: string; path: string; status: number; body: string };

function send(base: string, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Sent> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const req = http.request({ hostname, port, path, method, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c.length < 2000 ? c : ''));
      res.on('end', () => resolve({ method, path, status: res.statusCode!, body: text.slice(0, 300) }));
    });
    // A connection the server refuses outright (e.g. Node's own 400 for a bad request line) is not a 5xx.
    req.on('error', (err) => resolve({ method, path, status: 0, body: err.message }));
    if (body) req.write(body);
    req.end();
  });
}

const formBody = (fields: Record<string, string>) =>
  Buffer.from(Object.entries(fields).map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join('&'));

describe('fuzz: hostile input never gets a 5xx', function () {
  this.timeout(240_000);
  let server: TestServer;
  let owner: TestUser;
  let token: string;
  const results: Sent[] = [];
  const clock = createTestClock();

  before(async () => {
    server = await startGatehouse(undefined, {}, { clock: clock.now });
    owner = await server.createUser();
    token = await userAccessToken(server, owner);
  });
  after(() => server?.close());

  async function run(jobs: (() => Promise<Sent>)[]) {
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < jobs.length) results.push(await jobs[next++]());
    }));
  }

  it('refuses the cases found by hand with a 400 that says why', async () => {
    const client = await server.createClient();
    for (const field of ['username', 'password']) {
      const jar = new CookieJar();
      const page = await follow(jar, authorizationRequest(server.url, client).url, server.url);
      const fields = { username: owner.username, password: owner.password, [field]: `${field === 'username' ? owner.username : owner.password}\u0000` };
      const res = await postForm(jar, formAction(page.body, page.url), server.url, fields);
      assert.equal(res.status, 400, `NUL in the sign-in form's ${field}`);
      assert.match(res.body, /contains a NUL character/);
    }
    for (const [method, path] of [['GET', '/connected-apps/%00'], ['DELETE', '/connected-apps/%00'], ['POST', '/connected-apps/%00/rotate-secret'], ['GET', '/users/%C3%28'], ['GET', '/users/not-a-uuid']]) {
      const res = await send(server.url, method, `/api/v1${path}`, { authorization: `Bearer ${token}`, accept: 'application/json' });
      assert.ok(res.status === 400 || res.status === 404, `${method} ${path} → ${res.status} ${res.body}`);
      const body = JSON.parse(res.body) as { code: string; message: string };
      assert.ok(body.code && body.message, `${method} ${path} answers {code, message}`);
    }
    const brokenJson = await send(server.url, 'PATCH', '/api/v1/organization', { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]));
    assert.equal(brokenJson.status, 400);
    assert.match(brokenJson.body, /not valid UTF-8/);
    const brokenQuery = await send(server.url, 'GET', '/.well-known/openid-configuration?x=%FF', {});
    assert.equal(brokenQuery.status, 400);
  });

  it('answers every fuzzed request below 500', async () => {
    // A live sign-in (interaction cookie + uid) and a signed-in profile (session + CSRF), so the
    // fuzzed requests reach the handlers instead of stopping at "session expired".
    const client = await server.createClient();
    const signInJar = new CookieJar();
    const signInPage = await follow(signInJar, authorizationRequest(server.url, client, { state: 's' }).url, server.url);
    const uid = signInPage.url.match(/\/interaction\/([^/?]+)/)?.[1];
    assert.ok(uid, `the authorization request reached a sign-in page (${signInPage.url})`);
    const profile = await openSignedIn(server, owner, { clock });
    const csrf = csrfOf(profile.step.body);
    const origin = server.url;

    // Every route of every mounted router (ours), and the field names their pages use.
    const routes = new Map<string, Set<string>>();
    for (const router of server.gatehouse.routers) {
      for (const layer of router.stack) {
        const path = String(layer.path);
        if (path.startsWith('/api/') || !path.startsWith('/')) continue;
        for (const m of layer.methods) if (m !== 'HEAD' && m !== 'OPTIONS') (routes.get(path) ?? routes.set(path, new Set()).get(path)!).add(m);
      }
    }
    assert.ok(routes.size > 20, `the routers list their routes (${routes.size})`);
    const fields = new Set(['username', 'password', 'code', 'email', 'csrf', 'token', 'name', 'domain', 'phone', 'company', 'decision', 'number', 'id', 'role']);
    const realValue = (param: string) => (param === 'uid' ? uid! : param === 'id' ? owner.id : 'x');
    const fillPath = (path: string, bad: boolean) => path.replace(/:([A-Za-z_]+)/g, (_, p: string) => (bad && rand() < 0.6 ? pick(RAW_BAD) : encodeURIComponent(realValue(p))));
    // The forms each page shows: action (as a route pattern) → its field names.
    const formsByAction = new Map<string, Set<string>>();
    for (const path of routes.keys()) {
      const page = await send(server.url, 'GET', fillPath(path, false), { cookie: `${signInJar.header()}; ${profile.jar.header()}` });
      for (const form of page.body.split('<form').slice(1)) {
        const action = form.match(/action="([^"]*)"/)?.[1]?.replace(/&amp;/g, '&');
        const names = [...form.split('</form>')[0].matchAll(/name="([a-z_]+)"/g)].map((m) => m[1]);
        for (const n of names) fields.add(n);
        if (!action) continue;
        const pattern = new URL(action, server.url).pathname.replace(uid!, ':uid').replace(owner.id, ':id');
        const known = formsByAction.get(pattern) ?? formsByAction.set(pattern, new Set()).get(pattern)!;
        for (const n of names) known.add(n);
      }
    }
    const plausibleField = (field: string) => encodeURIComponent(field === 'csrf' ? csrf : field === 'username' ? owner.username : field === 'email' ? 'a@example.com' : 'Correct-Horse-9');

    const jobs: (() => Promise<Sent>)[] = [];
    const pageHeaders = () => ({ cookie: `${signInJar.header()}; ${profile.jar.header()}`, origin, accept: pick(['text/html', 'application/json', '*/*']) });
    for (const [path, methods] of routes) {
      const own = [...(formsByAction.get(path) ?? [])];
      for (const method of methods) {
        // Deterministic cases first: NUL and broken UTF-8 in each path parameter and in each field the route's form has.
        for (const bad of ['%00', '%C3%28']) {
          if (path.includes(':')) jobs.push(() => send(server.url, method, path.replace(/:[A-Za-z_]+/g, bad), pageHeaders()));
          if (method !== 'POST') continue;
          for (const field of own) {
            const body = Object.fromEntries(own.map((f) => [f, f === field ? `${plausibleField(f)}${bad}` : plausibleField(f)]));
            jobs.push(() => send(server.url, method, fillPath(path, false), { ...pageHeaders(), 'content-type': 'application/x-www-form-urlencoded' }, formBody(body)));
          }
        }
        for (let i = 0; i < REQUESTS_PER_FORM_ROUTE; i++) {
          const target = fillPath(path, true) + (rand() < 0.3 ? `?${pick([...fields])}=${pick(RAW_BAD)}` : '');
          const headers: Record<string, string> = pageHeaders();
          if (method === 'GET') {
            jobs.push(() => send(server.url, method, target, headers));
          } else if (rand() < 0.15) {
            const [type, bytes] = pick(BYTES_BAD);
            jobs.push(() => send(server.url, method, target, { ...headers, 'content-type': type }, bytes));
          } else {
            const body: Record<string, string> = { csrf: rand() < 0.8 ? encodeURIComponent(csrf) : pick(RAW_BAD) };
            for (const field of (own.length && rand() < 0.7 ? own : [...fields]).filter(() => rand() < 0.5)) body[field] = rand() < 0.5 ? pick(RAW_BAD) : plausibleField(field);
            body[pick(own.length ? own : [...fields])] = pick(RAW_BAD);
            jobs.push(() => send(server.url, method, target, { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, formBody(body)));
          }
        }
      }
    }

    // Every admin API operation, from its OpenAPI document.
    const openapi = await (await fetch(`${server.url}/api/v1/openapi.json`)).json() as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Schema }> }; parameters?: { name: string; in: string }[] }>>; components?: { schemas?: Record<string, Schema> } };
    type Schema = { $ref?: string; type?: string | string[]; properties?: Record<string, Schema>; items?: Schema; enum?: unknown[]; anyOf?: Schema[]; oneOf?: Schema[] };
    const resolve = (s: Schema | undefined): Schema | undefined => (s?.$ref ? resolve(openapi.components?.schemas?.[s.$ref.split('/').pop()!]) : s);
    const plausible = (s: Schema | undefined): unknown => {
      const schema = resolve(s);
      if (!schema) return 'x';
      if (schema.enum) return pick(schema.enum);
      const variants = schema.anyOf ?? schema.oneOf;
      if (variants) return plausible(pick(variants));
      const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
      if (type === 'object' || schema.properties) return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, rand() < 0.35 ? pick(JSON_BAD) : plausible(v)]));
      if (type === 'array') return rand() < 0.3 ? Array.from({ length: 300 }, () => plausible(schema.items)) : [plausible(schema.items)];
      if (type === 'integer' || type === 'number') return pick([1, 0, 100, 2 ** 31]);
      if (type === 'boolean') return rand() < 0.5;
      return pick(['Acme', 'alice@example.com', 'https://idp.example.com', owner.id, 'openid']);
    };
    let operations = 0;
    for (const [path, ops] of Object.entries(openapi.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        operations++;
        if (path.includes('{')) for (const bad of ['%00', '%C3%28', '%FF']) jobs.push(() => send(server.url, method.toUpperCase(), '/api/v1' + path.replace(/\{[^}]+\}/g, bad), { authorization: `Bearer ${token}`, accept: 'application/json' }));
        for (let i = 0; i < REQUESTS_PER_API_OPERATION; i++) {
          const target = '/api/v1' + path.replace(/\{[^}]+\}/g, () => (rand() < 0.7 ? pick(RAW_BAD) : owner.id)) +
            (op.parameters?.some((p) => p.in === 'query') && rand() < 0.5 ? `?${op.parameters.filter((p) => p.in === 'query').map((p) => `${p.name}=${pick(RAW_BAD)}`).join('&')}` : '');
          const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
          const schema = op.requestBody?.content['application/json']?.schema;
          if (method === 'get' || method === 'delete' || (!schema && rand() < 0.5)) {
            jobs.push(() => send(server.url, method.toUpperCase(), target, headers));
          } else if (rand() < 0.15) {
            const [type, bytes] = pick(BYTES_BAD);
            jobs.push(() => send(server.url, method.toUpperCase(), target, { ...headers, 'content-type': type }, bytes));
          } else {
            const body = rand() < 0.1 ? pick(JSON_BAD) : plausible(schema);
            jobs.push(() => send(server.url, method.toUpperCase(), target, { ...headers, 'content-type': 'application/json' }, Buffer.from(JSON.stringify(body) ?? 'null')));
          }
        }
      }
    }
    assert.ok(operations > 20, `the OpenAPI document lists the operations (${operations})`);

    // Every endpoint of the discovery document (oidc-provider's own parsing and our adapters behind it).
    const discovery = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    const endpoints = Object.entries(discovery).filter(([k, v]) => k.endsWith('_endpoint') || k === 'jwks_uri').map(([, v]) => new URL(String(v)).pathname);
    const params = ['client_id', 'client_secret', 'grant_type', 'code', 'redirect_uri', 'refresh_token', 'token', 'scope', 'response_type', 'state', 'nonce', 'code_verifier', 'code_challenge', 'request_uri', 'id_token_hint', 'post_logout_redirect_uri', 'login_hint', 'domain_hint', 'claims', 'acr_values', 'max_age', 'ui_locales'];
    for (const path of endpoints) {
      for (let i = 0; i < REQUESTS_PER_PROVIDER_ENDPOINT; i++) {
        const fields: Record<string, string> = {};
        for (const p of params.filter(() => rand() < 0.3)) fields[p] = rand() < 0.6 ? pick(RAW_BAD) : encodeURIComponent(p === 'client_id' ? client.client_id : p === 'grant_type' ? pick(['authorization_code', 'refresh_token', 'client_credentials']) : 'x');
        const query = Object.entries(fields).map(([k, v]) => `${k}=${v}`).join('&');
        const basic: Record<string, string> = rand() < 0.3 ? { authorization: `Basic ${Buffer.from(`${pick(['\u0000', client.client_id, 'a:b'])}:${pick(['\u0000', 'x'])}`).toString('base64')}` } : {};
        const bearer: Record<string, string> = rand() < 0.2 ? { authorization: `Bearer ${pick(['%00', 'x'.repeat(5000), token, `${token}x`])}` } : {};
        if (rand() < 0.4) jobs.push(() => send(server.url, 'GET', `${path}?${query}`, { ...basic, ...bearer, cookie: signInJar.header() }));
        else jobs.push(() => send(server.url, 'POST', path, { ...basic, ...bearer, origin, 'content-type': 'application/x-www-form-urlencoded' }, formBody(fields)));
      }
    }

    await run(jobs);
    const failures = results.filter((r) => r.status >= 500);
    const summary = failures.slice(0, 15).map((f) => `${f.method} ${f.path.slice(0, 120)} → ${f.status} ${f.body.replace(/\s+/g, ' ').slice(0, 160)}`).join('\n');
    assert.ok(results.length >= 2000, `a few thousand requests (${results.length})`);
    assert.equal(failures.length, 0, `${failures.length} of ${results.length} requests answered 5xx:\n${summary}`);
  });
});
