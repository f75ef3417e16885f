// Quick look at one figure: server CPU per client-credentials token, Gatehouse vs bare oidc-provider,
// interleaved, with a fixed number of requests each (CPU per request does not depend on what else the
// box runs as much as throughput does). BENCH_CC_REQUESTS (default 3000) per slice, BENCH_SLICES (4),
// BENCH_CPU_PROF=<dir> writes one profile per contender, BENCH_THREADS=1 prints CPU per thread,
// BENCH_BARE_STOCK=1 adds bare oidc-provider as published (without patches/), BENCH_BARE_REDIS=1 the bare
// provider keeping its state in REDIS_URL (bench/bare-redis-adapter.ts), BENCH_CONCURRENCY (8) sets
// the requests in flight. A variant's environment `BENCH_BUILD=<dir>` runs a saved copy of build/ (old against
// new code in one run: `cp -r build build-base`, change, `npm run build`). BENCH_KIND=refresh or
// introspection measures rotating refresh-token grants or token introspection instead (run.ts's #7, #8).
import { randomBytes } from 'node:crypto';
import { clientCredentialsRequest, introspectionRequest, keepAliveAgent, refreshChains, refreshTask, send, tokenTask, type HttpRequest } from './load.ts';
import { processCpu, threadsOf } from './proc.ts';
import { startQuickChild, type QuickChild } from './quick-child.ts';
import { START_NODE_FLAGS } from './start-command.ts';

const REQUESTS = Number(process.env.BENCH_CC_REQUESTS ?? 3000);
/** Requests in flight (connections) per contender: BENCH_CONCURRENCY, default 8. */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const SLICES = Number(process.env.BENCH_SLICES ?? 4);
const PROF = process.env.BENCH_CPU_PROF;
/** BENCH_HEAP_PROF=<dir>: allocation sampling instead (bytes allocated per token, by function). */
const HEAP = process.env.BENCH_HEAP_PROF;
const KIND = process.env.BENCH_KIND ?? 'cc';
if (!['cc', 'refresh', 'introspection'].includes(KIND)) throw new Error(`BENCH_KIND: cc, refresh or introspection, not ${KIND}`);
type Credentials = { client_id: string; client_secret: string };
type Task = { task: (worker: number) => Promise<true | string>; close(): void };

/** CPU µs of each thread of a process, keyed name#tid. */
function threads(pid: number): Map<string, number> {
  return new Map([...threadsOf(pid)].map(([tid, t]) => [`${t.comm}#${tid}`, t.cpu * 1e6]));
}
const cpuOf = (pid: number) => processCpu(pid) * 1e6;

const bareClient = { client_id: 'bench-cc', client_secret: randomBytes(24).toString('base64url') };
const bare = await startQuickChild('./bare-provider.ts', { BARE_CLIENT_ID: bareClient.client_id, BARE_CLIENT_SECRET: bareClient.client_secret });
// BENCH_GH_FLAGS="flags;flags…": one Gatehouse contender per set of node flags (default: npm start's).
const variants = (process.env.BENCH_GH_FLAGS ?? START_NODE_FLAGS.join(' ')).split(';');
const contenders: [string, QuickChild, Credentials][] = [['bare', bare, bareClient]];
// The bare provider's clients may use every grant (bench/bare-provider.ts); Gatehouse's are registered per kind.
const REFRESH_CLIENT = { grant_types: ['authorization_code', 'refresh_token'], redirect_uris: ['http://127.0.0.1:9/callback'], response_types: ['code'], scope: 'openid offline_access' };
// BENCH_BARE_STOCK=1: also oidc-provider as published, without patches/ (bench/stock-provider.ts).
if (process.env.BENCH_BARE_STOCK === '1') {
  contenders.push(['bare stock', await startQuickChild('./bare-provider.ts', { BARE_CLIENT_ID: bareClient.client_id, BARE_CLIENT_SECRET: bareClient.client_secret, BARE_STOCK: '1' }), bareClient]);
}
// BENCH_BARE_REDIS=1: also the bare provider on Redis, paying for a real store as Gatehouse does.
if (process.env.BENCH_BARE_REDIS === '1') {
  contenders.push(['bare redis', await startQuickChild('./bare-provider.ts', { BARE_CLIENT_ID: bareClient.client_id, BARE_CLIENT_SECRET: bareClient.client_secret, BARE_REDIS_URL: process.env.REDIS_URL! }), bareClient]);
}
for (const [i, variant] of variants.entries()) {
  // A variant is node flags, optionally followed by '|NAME=value' environment for that server.
  const [flags, ...envs] = variant.split('|');
  const gh = await startQuickChild('./server-process.ts', { DATABASE_URL: process.env.DATABASE_URL!, REDIS_URL: process.env.REDIS_URL!, ...Object.fromEntries(envs.map((e) => e.split('='))) }, flags);
  contenders.push([i ? `gh[${variant}]` : 'gh', gh, await gh.call('createClient', { metadata: KIND === 'refresh' ? REFRESH_CLIENT : { grant_types: ['client_credentials'], redirect_uris: [], response_types: [] } })]);
}

/** What one contender is asked, made once per contender: the refresh tokens rotate across slices. */
async function taskMaker(name: string, server: QuickChild, client: Credentials): Promise<() => Task> {
  const cc = clientCredentialsRequest(client.client_id, client.client_secret);
  if (KIND === 'cc') return () => tokenTask([server.url], CONCURRENCY, cc);
  if (KIND === 'introspection') {
    const token = await oneAccessToken(server.url, cc);
    return () => tokenTask([server.url], CONCURRENCY, introspectionRequest(client.client_id, client.client_secret, token));
  }
  // The bare provider's refresh tokens belong to its own client and account; Gatehouse's to a real account.
  const args = name.startsWith('bare') ? {} : { clientId: client.client_id, accountId: (await server.call<{ id: string }[]>('createUsers', { count: 1, password: 'Correct-Horse-9', kind: 'service' }))[0].id };
  const chains = await refreshChains(CONCURRENCY, (count) => server.call<string[]>('mintRefreshTokens', { ...args, count }));
  return () => refreshTask(server.url, CONCURRENCY, client, chains);
}
async function oneAccessToken(url: string, request: HttpRequest): Promise<string> {
  const agent = keepAliveAgent(1);
  const response = await send(agent, new URL(url), request, true);
  agent.destroy();
  if (response.status !== 200) throw new Error(`client credentials ${response.status} ${response.body}`);
  return (JSON.parse(response.body) as { access_token: string }).access_token;
}
const makers = new Map<string, () => Task>();
for (const [name, server, client] of contenders) makers.set(name, await taskMaker(name, server, client));

const totals: Record<string, { cpu: number; n: number }> = Object.fromEntries(contenders.map(([name]) => [name, { cpu: 0, n: 0 }]));
for (let slice = -1; slice < SLICES; slice++) {
  for (const [name, server] of contenders) {
    const { task, close } = makers.get(name)!();
    let left = slice < 0 ? 1500 : REQUESTS; let done = 0;
    if (PROF && slice === 0) await server.call('profileStart');
    if (HEAP && slice === 0) await server.call('heapProfileStart');
    const before = cpuOf(server.pid); const tb = threads(server.pid);
    await Promise.all(Array.from({ length: CONCURRENCY }, async (_, w) => { while (left-- > 0) { const r = await task(w); if (r !== true) throw new Error(String(r)); done++; } }));
    const used = cpuOf(server.pid) - before;
    if (process.env.BENCH_THREADS && slice === 0) { const ta = threads(server.pid); console.log(name, [...ta].map(([k, v]) => [k, Math.round((v - (tb.get(k) ?? 0)) / done)]).filter(([, v]) => (v as number) > 0).map(([k, v]) => `${k}=${v}µs`).join(' ')); }
    if (PROF && slice === 0) await server.call('profileStop', { file: `${PROF}/${name}.cpuprofile` });
    if (HEAP && slice === 0) await server.call('heapProfileStop', { file: `${HEAP}/${name}.heapprofile` });
    close();
    if (slice >= 0) { totals[name].cpu += used; totals[name].n += done; }
  }
}
const per = (k: string) => totals[k].cpu / totals[k].n;
const againstRedis = (name: string) => (totals['bare redis'] && !name.startsWith('bare') ? `, ${(per(name) / per('bare redis')).toFixed(2)} × bare on redis` : '');
for (const [name] of contenders) console.log(`cpu/${KIND === 'cc' ? 'token' : KIND}: ${name} ${per(name).toFixed(0)} µs = ${(per(name) / per('bare')).toFixed(2)} × bare${againstRedis(name)} (${totals[name].n} tokens)`);
for (const [, server] of contenders) server.proc.kill();
process.exit(0);
