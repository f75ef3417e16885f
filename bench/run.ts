// `npm run bench`: throughput and latency figures for Gatehouse against its floors (argon2id
// on one core, bare oidc-provider), printed as one table. Prints numbers; asserts nothing.
//
// Figures that are compared are measured interleaved: bare provider, one Gatehouse and two
// Gatehouse processes take turns in short slices (as do argon2id and logins), so load from
// anything else on the box hits both sides of a ratio alike. The bare provider runs three ways: on
// the patched library with its MemoryAdapter (the base of the targets), as published, and on the
// patched library with its state in Redis (#2r, #7r, #8r: what a real store costs it, so the ratios
// against it show what Gatehouse itself adds).
//
// Env: BENCH_SECONDS (default 10: measured seconds per client-credentials figure; argon2 gets
// half of it, logins 1.5×), BENCH_SLICES (default 4), BENCH_CONNECTIONS (default 16),
// BENCH_MANY_CONNECTIONS (default 256: #3c, client credentials with many clients at once),
// BENCH_LOGIN_CONCURRENCY (default 4), BENCH_SESSIONS (default 10000), BENCH_TOTP_USERS
// (default 1000: one TOTP login per user per 30 s step; also the size of each organization pool),
// BENCH_ORG_CONCURRENCY (default 16: logins in flight for the one-organization figure),
// BENCH_EMBEDDED (default 1; 0 skips the embedded-store figures), BENCH_CPU_PROF=<dir> (the servers
// write a V8 CPU profile of each figure's first measured slice there), DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/test), REDIS_URL (default redis://127.0.0.1:6379).
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import argon2 from 'argon2';
import pg from 'pg';
import { Redis } from 'ioredis';
import { OWASP_ARGON2ID } from '../accounts/password-hasher.ts';
import { clientCredentialsRequest, closedLoop, combine, generatorStallNote, introspectionRequest, openLoop, refreshChains, refreshTask, send, keepAliveAgent, tokenTask, type LoadResult } from './load.ts';
import { passwordLogin, sessionSkipsSignIn, TotpUserPool, type LoginClient, type LoginUser } from './login.ts';
import { averageCpu, cpuMeter, rssBytes, type CpuReport } from './proc.ts';
import { START_ENV, START_NODE_FLAGS } from './start-command.ts';
import { compiled } from '../scripts/build.ts';

const env = process.env;
const SECONDS = Number(env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 16);
/** #3c: as many clients at once as a busy token endpoint has (its requests then wait for admission, server/api-admission.ts). */
const MANY_CONNECTIONS = Number(env.BENCH_MANY_CONNECTIONS ?? 256);
const LOGIN_CONCURRENCY = Number(env.BENCH_LOGIN_CONCURRENCY ?? 4);
const SESSIONS = Number(env.BENCH_SESSIONS ?? 10_000);
const TOTP_USERS = Number(env.BENCH_TOTP_USERS ?? 1000);
const ORG_CONCURRENCY = Number(env.BENCH_ORG_CONCURRENCY ?? 16);
const EMBEDDED = env.BENCH_EMBEDDED !== '0';
const DATABASE_URL = env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SLICES = Math.max(1, Number(env.BENCH_SLICES ?? 4));
const PROFILE_DIR = env.BENCH_CPU_PROF ? path.resolve(env.BENCH_CPU_PROF) : undefined;
/** Profiles written (BENCH_CPU_PROF), with how many requests/logins completed while each ran. */
const profiles: { file: string; completed: number; seconds: number }[] = [];
const WARMUP = Math.min(2, SECONDS / 4);
/** Before the open-loop cc figure (3b), at its rate. */
const OPEN_LOOP_WARMUP_SECONDS = Math.min(5, SECONDS);

// ---------------------------------------------------------------- children

type Child = {
  name: string;
  pid: number;
  url: string;
  ready: Record<string, string>;
  call<T>(cmd: string, args?: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
};
const children = new Set<Child>();

async function startChild(name: string, file: string, childEnv: Record<string, string>): Promise<Child> {
  // The compiled child (build/bench/…js), as `npm start` runs the compiled server.
  const proc: ChildProcess = fork(compiled(new URL(file, import.meta.url)), [], {
    // As npm start runs servers (its malloc settings; see the Dockerfile).
    env: { ...START_ENV, ...process.env, ...childEnv },
    // --expose-gc only lets the 'memory' command collect garbage before it reports the live heap.
    execArgv: ['--expose-gc', ...START_NODE_FLAGS],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stderr = '';
  proc.stdout!.resume(); // its URL line; the IPC 'ready' message carries the same
  proc.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;

  const ready = await new Promise<Record<string, string>>((resolve, reject) => {
    proc.on('message', (message: { type?: string; id?: number; ok?: boolean; result?: unknown; error?: string }) => {
      if (message.type === 'ready') return resolve(message as Record<string, string>);
      const waiter = message.id === undefined ? undefined : pending.get(message.id);
      if (!waiter) return;
      pending.delete(message.id!);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`${name}: ${message.error}`));
    });
    void exited.then((code) => {
      const error = new Error(`${name} exited (${code}) ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
      reject(error);
      for (const waiter of pending.values()) waiter.reject(error);
    });
  });

  const child: Child = {
    name,
    pid: proc.pid!,
    url: ready.url,
    ready,
    call: (cmd, args = {}) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        proc.send({ id, cmd, ...args });
      }),
    async stop() {
      children.delete(child);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const timeout = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timeout);
    },
  };
  children.add(child);
  return child;
}

async function stopAll() {
  // Joiners first: the owner drops the shared schema.
  for (const child of [...children].reverse()) await child.stop().catch(() => {});
}

// ---------------------------------------------------------------- helpers

async function preflight() {
  const db = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await db.connect();
    await db.query('select 1');
  } catch (err) {
    throw new Unreachable(`PostgreSQL unreachable at ${DATABASE_URL}: ${(err as Error).message}`);
  } finally {
    await db.end().catch(() => {});
  }
  const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new Unreachable(`Redis unreachable at ${REDIS_URL}: ${(err as Error).message}`);
  }
  return redis;
}
class Unreachable extends Error {}

async function memoryOf(child: Child) {
  const usage = await child.call<NodeJS.MemoryUsage & { spaces: Record<string, number> }>('memory');
  return `RSS ${mib(rssBytes(child.pid))} (V8 heap ${mib(usage.heapTotal)} of which new space ${mib(usage.spaces.new_space)}, live after GC ${mib(usage.heapUsed)}; external ${mib(usage.external)})`;
}

async function countKeys(redis: Redis, pattern: string) {
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 2000);
    count += keys.length;
    cursor = next;
  } while (cursor !== '0');
  return count;
}

type Contender = {
  name: string;
  /** Measured seconds in total, split over the slices. */
  seconds: number;
  /** Processes whose CPU use is reported (and, with BENCH_CPU_PROF, profiled) for this contender. */
  children: Child[];
  run(seconds: number): Promise<LoadResult>;
};
/** Work per completed operation: SQL statements (counted in the servers) and Redis commands (INFO, box-wide). */
type PerOp = { sql?: number; redis: number };
type Measured = { result: LoadResult; cpu: CpuReport; perOp: PerOp };

async function redisCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  return [...info.matchAll(/calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
}

async function sqlQueries(children: Child[]): Promise<number | undefined> {
  if (!children.length || !children.every((c) => c.name.startsWith('gh'))) return undefined;
  const counts = await Promise.all(children.map((c) => c.call<{ sqlQueries: number }>('counters')));
  return counts.reduce((sum, c) => sum + c.sqlQueries, 0);
}

/**
 * Each contender warms up once, then they take turns: A B C, C B A, A B C, … Returns each
 * one's slices combined, with its CPU picture averaged over its own slices.
 */
async function interleaved(redis: Redis, contenders: Contender[], warmupSeconds: number): Promise<Record<string, Measured>> {
  for (const c of contenders) if (warmupSeconds > 0) await c.run(warmupSeconds);
  const parts = new Map(contenders.map((c) => [c.name, { results: [] as LoadResult[], cpu: [] as CpuReport[], sql: 0, redis: 0 }]));
  for (let slice = 0; slice < SLICES; slice++) {
    const order = slice % 2 === 0 ? contenders : [...contenders].reverse();
    for (const c of order) {
      const profile = PROFILE_DIR !== undefined && slice === 0; // the first measured slice of each
      if (profile) await Promise.all(c.children.map((child) => child.call('profileStart')));
      const [sqlBefore, redisBefore] = [await sqlQueries(c.children), await redisCalls(redis)];
      const meter = cpuMeter(Object.fromEntries(c.children.map((child) => [child.name, child.pid])));
      const result = await c.run(c.seconds / SLICES);
      const part = parts.get(c.name)!;
      part.cpu.push(meter.stop());
      part.results.push(result);
      // Counted over the whole slice, so requests still in flight at its end add a little.
      part.sql += ((await sqlQueries(c.children)) ?? NaN) - (sqlBefore ?? NaN);
      part.redis += (await redisCalls(redis)) - redisBefore - 1; // minus our own INFO
      if (profile) {
        for (const child of c.children) {
          const file = path.join(PROFILE_DIR!, `${c.name}-${child.name}.cpuprofile`);
          await child.call('profileStop', { file });
          profiles.push({ file, completed: result.requests, seconds: result.seconds });
        }
      }
    }
  }
  return Object.fromEntries(
    [...parts].map(([name, p]) => {
      const result = combine(p.results);
      const done = result.requests + result.errors;
      return [name, { result, cpu: averageCpu(p.cpu), perOp: { sql: Number.isNaN(p.sql) ? undefined : p.sql / done, redis: p.redis / done } }];
    }),
  );
}

/** Closed-loop client-credentials load on one or more servers (connections split evenly). */
function clientCredentials(name: string, servers: Child[], client: { client_id: string; client_secret: string }, connections = CONNECTIONS): Contender {
  return {
    name,
    seconds: SECONDS,
    children: servers,
    async run(seconds) {
      // Fresh connections per slice: idle keep-alive sockets would hit the server's 5 s timeout between slices.
      const { task, close } = tokenTask(servers.map((s) => s.url), Math.ceil(connections / servers.length), clientCredentialsRequest(client.client_id, client.client_secret));
      try {
        return await closedLoop({ concurrency: connections, seconds, task });
      } finally {
        close();
      }
    },
  };
}

/** Closed-loop requests of one kind (introspection, refresh) against one server. */
function requests(name: string, server: Child, make: () => { task: (worker: number) => Promise<true | string>; close(): void }): Contender {
  return {
    name,
    seconds: SECONDS,
    children: [server],
    async run(seconds) {
      const { task, close } = make();
      try {
        return await closedLoop({ concurrency: CONNECTIONS, seconds, task });
      } finally {
        close();
      }
    },
  };
}

/** One client-credentials access token, for introspection. */
async function accessToken(server: Child, client: { client_id: string; client_secret: string }): Promise<string> {
  const agent = keepAliveAgent(1);
  try {
    const response = await send(agent, new URL(server.url), clientCredentialsRequest(client.client_id, client.client_secret), true);
    if (response.status !== 200) throw new Error(`${server.name}: client credentials ${response.status} ${response.body}`);
    return (JSON.parse(response.body) as { access_token: string }).access_token;
  } finally {
    agent.destroy();
  }
}

async function argon2Contender(): Promise<Contender> {
  const options = { type: argon2.argon2id as 2, ...OWASP_ARGON2ID };
  const hash = await argon2.hash('Correct-Horse-9', options);
  const verify = async (): Promise<true | string> => ((await argon2.verify(hash, 'Correct-Horse-9')) ? true : 'argon2 verify returned false');
  return { name: 'argon2', seconds: SECONDS / 2, children: [], run: (seconds) => closedLoop({ concurrency: 1, seconds, task: verify }) };
}

// ---------------------------------------------------------------- output

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const pct = (n: number) => (Number.isFinite(n) ? `${(n * 100).toFixed(0)}%` : '–');
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const cpuText = (cpu: CpuReport) =>
  [
    ...Object.entries(cpu.perPid).map(([name, v]) => {
      const t = cpu.threads[name];
      return `${name} ${v.toFixed(2)} [js ${t.main.toFixed(2)} pool ${t.pool.toFixed(2)} v8 ${t.helpers.toFixed(2)}]`;
    }),
    `loadgen ${cpu.self.toFixed(2)}`,
    `pg ${cpu.postgres.toFixed(2)}`,
    `redis ${cpu.redis.toFixed(2)}`,
    `other ${cpu.other.toFixed(2)}`,
  ].join(' ') + ` (box ${cpu.box.toFixed(2)}/${cpu.cores})`;

type Row = { id: string; what: string; rate: string; p50: string; p99: string; ratio: string; notes: string };
const rows: Row[] = [];
function row(id: string, what: string, r: Partial<LoadResult> & { rate?: number }, ratio: string, notes: string) {
  rows.push({ id, what, rate: fmt(r.rate ?? NaN, (r.rate ?? 0) < 100 ? 1 : 0), p50: fmt(r.p50 ?? NaN, 1), p99: fmt(r.p99 ?? NaN, 1), ratio, notes });
}
function printTable() {
  const head: Row = { id: '#', what: 'measurement', rate: 'per s', p50: 'p50 ms', p99: 'p99 ms', ratio: 'ratio', notes: 'CPU in cores / notes' };
  const all = [head, ...rows];
  const width = (key: keyof Row) => Math.max(...all.map((r) => r[key].length));
  const w = { id: width('id'), what: width('what'), rate: width('rate'), p50: width('p50'), p99: width('p99'), ratio: width('ratio') };
  const line = (r: Row) =>
    [r.id.padEnd(w.id), r.what.padEnd(w.what), r.rate.padStart(w.rate), r.p50.padStart(w.p50), r.p99.padStart(w.p99), r.ratio.padEnd(w.ratio), r.notes].join('  ');
  console.log(line(head));
  console.log('-'.repeat(line(head).length + 20));
  for (const r of rows) console.log(line(r));
}
/** CPU time per completed operation: unlike rates, barely moved by other load on the box. */
const cpuPerOp = (m: Measured) => {
  const per = (cores: number) => {
    const us = (cores / m.result.rate) * 1e6;
    return us >= 1000 ? `${(us / 1000).toFixed(1)}ms` : `${us.toFixed(0)}µs`;
  };
  return [
    ...Object.entries(m.cpu.perPid).map(([name, cores]) => `${name} ${per(cores)}`),
    `pg ${per(m.cpu.postgres)}`,
    `redis ${per(m.cpu.redis)}`,
    `loadgen ${per(m.cpu.self)}`,
  ].join(' ');
};
const details = (m: Measured) =>
  cpuText(m.cpu) +
  `; per op: CPU ${cpuPerOp(m)}; ${m.perOp.sql === undefined ? '' : `${m.perOp.sql.toFixed(1)} SQL, `}${m.perOp.redis.toFixed(1)} redis cmds` +
  errorsNote(m.result);
const errorsNote = (r: LoadResult) => (r.errors ? `; ${r.errors} errors, first: ${r.firstError}` : '');
const log = (message: string) => console.error(`  … ${message}`);

// ---------------------------------------------------------------- main

async function main() {
  const shown = ['BENCH_SECONDS', 'BENCH_SLICES', 'BENCH_CONNECTIONS', 'BENCH_MANY_CONNECTIONS', 'BENCH_LOGIN_CONCURRENCY', 'BENCH_SESSIONS', 'BENCH_TOTP_USERS', 'BENCH_CPU_PROF', 'DATABASE_URL', 'REDIS_URL']
    .filter((k) => env[k] !== undefined)
    .map((k) => `${k}=${env[k]}`);
  const viaNpm = env.npm_lifecycle_event === 'bench';
  console.log(`$ ${[...shown, viaNpm ? 'npm run bench' : `node ${process.argv.slice(1).join(' ')}`].join(' ')}${viaNpm ? `   (${env.npm_lifecycle_script})` : ''}`);
  console.log(
    `node ${process.version}, ${os.availableParallelism()} cores (${os.cpus()[0]?.model.trim()}); ` +
      `cc: ${SECONDS}s each after ${WARMUP}s warm-up, N=${CONNECTIONS} keep-alive connections; logins: c=${LOGIN_CONCURRENCY}, ${SECONDS * 1.5}s; ` +
      `compared figures interleaved in ${SLICES} slices`,
  );
  console.log(`PostgreSQL ${DATABASE_URL}, Redis ${REDIS_URL} (both on this box: they share its cores with the servers and the load generator)\n`);

  const redis = await preflight();
  if (PROFILE_DIR) fs.mkdirSync(PROFILE_DIR, { recursive: true });
  const idleMeter = cpuMeter({});
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const before = idleMeter.stop();
  console.log(
    `before start, for 1 s: ${before.box.toFixed(2)} of ${before.cores} cores busy (pg ${before.postgres.toFixed(2)}, redis ${before.redis.toFixed(2)}, other processes ${before.other.toFixed(2)})` +
      (before.box > 0.2 ? ' — the box is not quiet; see the "other" CPU column' : '') +
      '\n',
  );
  const secrets = { KEK: randomBytes(32).toString('base64'), COOKIE_KEYS: randomBytes(32).toString('base64url') };
  const serverEnv = { DATABASE_URL, REDIS_URL, ...secrets };

  log('starting the bare provider and two Gatehouse processes (the second joins the first one\'s schema and prefix)');
  const bareClient = { client_id: 'bench-cc', client_secret: randomBytes(24).toString('base64url') };
  const bare = await startChild('bare', './bare-provider.ts', { BARE_CLIENT_ID: bareClient.client_id, BARE_CLIENT_SECRET: bareClient.client_secret });
  // The same without our patches/ to oidc-provider (which speed up the bare baseline too): the library as published.
  const bareStock = await startChild('bareStock', './bare-provider.ts', { BARE_CLIENT_ID: bareClient.client_id, BARE_CLIENT_SECRET: bareClient.client_secret, BARE_STOCK: '1' });
  // The patched library with its state in Redis (bench/bare-redis-adapter.ts): the bare provider paying for a real store too.
  const bareRedis = await startChild('bareRedis', './bare-provider.ts', { BARE_CLIENT_ID: bareClient.client_id, BARE_CLIENT_SECRET: bareClient.client_secret, BARE_REDIS_URL: REDIS_URL });
  const gh = await startChild('gh', './server-process.ts', serverEnv);
  const gh2 = await startChild('gh2', './server-process.ts', { ...serverEnv, BENCH_SCHEMA: gh.ready.schema });
  const memory: string[] = [`started ${await memoryOf(gh)}`];

  log(`creating a client-credentials client, a relying party, 8 MFA-exempt service accounts and ${TOTP_USERS} users with an authenticator app (not timed)`);
  const ccClient = await gh.call<{ client_id: string; client_secret: string }>('createClient', {
    metadata: { grant_types: ['client_credentials'], redirect_uris: [], response_types: [] },
  });
  const rp = await gh.call<LoginClient>('createClient', {
    metadata: {
      redirect_uris: ['http://127.0.0.1:9/callback'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      scope: 'openid profile email',
      first_party: true,
    },
  });
  const users = await gh.call<LoginUser[]>('createUsers', { count: 8, password: 'Correct-Horse-9', kind: 'service' });
  const totpUsers = new TotpUserPool(await gh.call<LoginUser[]>('createUsers', { count: TOTP_USERS, password: 'Correct-Horse-9', kind: 'totp' }));
  memory.push(`after setup ${await memoryOf(gh)}`);

  // 2, 3a, 6: client credentials, bare vs one Gatehouse vs two, interleaved.
  log(`client_credentials: bare / bare as published / bare on Redis / Gatehouse / 2 × Gatehouse, ${SLICES} × ${(SECONDS / SLICES).toFixed(1)}s each`);
  const cc = await interleaved(
    redis,
    [
      clientCredentials('bare', [bare], bareClient),
      clientCredentials('bareStock', [bareStock], bareClient),
      clientCredentials('bareRedis', [bareRedis], bareClient),
      clientCredentials('gh', [gh], ccClient),
      clientCredentials('pair', [gh, gh2], ccClient),
    ],
    WARMUP,
  );
  memory.push(`after cc runs ${await memoryOf(gh)}`);

  // 3b: open loop at half of Gatehouse's peak.
  const halfRate = Math.max(1, Math.round(cc.gh.result.rate / 2));
  log(`open loop at ${halfRate}/s for ${SECONDS}s, after ${OPEN_LOOP_WARMUP_SECONDS}s at that rate not counted: Gatehouse, then bare`);
  /** An open loop at halfRate against one server, after OPEN_LOOP_WARMUP_SECONDS at that rate not counted. */
  const openLoopAgainst = async (server: Child, client: { client_id: string; client_secret: string }) => {
    const { task, close } = tokenTask([server.url], 256, clientCredentialsRequest(client.client_id, client.client_secret));
    // Uncounted seconds at the same rate first: the switch from the closed loop (new connections, and a
    // burst of re-optimisation in the server and the generator, ~10,700 requests after start in
    // bench/cc-tail.ts, for the bare provider too) is not steady state.
    await openLoop({ rate: halfRate, seconds: OPEN_LOOP_WARMUP_SECONDS, task });
    const meter = cpuMeter({ [server.name]: server.pid });
    const result = await openLoop({ rate: halfRate, seconds: SECONDS, task });
    const cpu = meter.stop();
    close();
    return { result, cpu };
  };
  /** Row notes of an open-loop run: its CPU, how long answers trailed the last send, the generator's own stalls. */
  const openLoopNotes = ({ result, cpu }: Awaited<ReturnType<typeof openLoopAgainst>>) =>
    `${cpuText(cpu)}; last answer ${(result.drainSeconds * 1000).toFixed(0)} ms after the last send; ${generatorStallNote(result.generatorStalls)}` + errorsNote(result);
  const half = await openLoopAgainst(gh, ccClient);
  // The same open loop against the bare provider: a reference for the tail on this box in this run.
  const bareHalf = await openLoopAgainst(bare, bareClient);

  // 3c: client credentials with many clients at once, bare vs Gatehouse.
  log(`client_credentials with ${MANY_CONNECTIONS} connections: bare / Gatehouse, ${SLICES} × ${(SECONDS / SLICES).toFixed(1)}s each`);
  const ccMany = await interleaved(redis, [clientCredentials('bareMany', [bare], bareClient, MANY_CONNECTIONS), clientCredentials('ghMany', [gh], ccClient, MANY_CONNECTIONS)], WARMUP);

  // 7, 8: refresh-token grants (rotating) and introspection, bare vs Gatehouse doing the same.
  log(`refresh_token and introspection: bare / bare as published / bare on Redis / Gatehouse, ${SLICES} × ${(SECONDS / SLICES).toFixed(1)}s each`);
  const refreshClient = await gh.call<{ client_id: string; client_secret: string }>('createClient', {
    metadata: { grant_types: ['authorization_code', 'refresh_token'], redirect_uris: ['http://127.0.0.1:9/callback'], response_types: ['code'], scope: 'openid offline_access' },
  });
  // One chain per worker (each rotates its own token), moving to a new grant's token every REFRESH_CHAIN_ROTATIONS.
  const chains = (server: Child, args: Record<string, unknown>) =>
    refreshChains(CONNECTIONS, (count) => server.call<string[]>('mintRefreshTokens', { ...args, count }));
  const bareRefresh = await chains(bare, {});
  const bareStockRefresh = await chains(bareStock, {});
  const bareRedisRefresh = await chains(bareRedis, {});
  const ghRefresh = await chains(gh, { clientId: refreshClient.client_id, accountId: users[0].id });
  const refresh = await interleaved(
    redis,
    [
      requests('bareRefresh', bare, () => refreshTask(bare.url, CONNECTIONS, bareClient, bareRefresh)),
      requests('bareStockRefresh', bareStock, () => refreshTask(bareStock.url, CONNECTIONS, bareClient, bareStockRefresh)),
      requests('bareRedisRefresh', bareRedis, () => refreshTask(bareRedis.url, CONNECTIONS, bareClient, bareRedisRefresh)),
      requests('ghRefresh', gh, () => refreshTask(gh.url, CONNECTIONS, refreshClient, ghRefresh)),
    ],
    WARMUP,
  );
  const [bareToken, bareStockToken, bareRedisToken, ghToken] = [await accessToken(bare, bareClient), await accessToken(bareStock, bareClient), await accessToken(bareRedis, bareClient), await accessToken(gh, ccClient)];
  const introspection = await interleaved(
    redis,
    [
      requests('bareIntrospect', bare, () => tokenTask([bare.url], CONNECTIONS, introspectionRequest(bareClient.client_id, bareClient.client_secret, bareToken))),
      requests('bareStockIntrospect', bareStock, () => tokenTask([bareStock.url], CONNECTIONS, introspectionRequest(bareClient.client_id, bareClient.client_secret, bareStockToken))),
      requests('bareRedisIntrospect', bareRedis, () => tokenTask([bareRedis.url], CONNECTIONS, introspectionRequest(bareClient.client_id, bareClient.client_secret, bareRedisToken))),
      requests('ghIntrospect', gh, () => tokenTask([gh.url], CONNECTIONS, introspectionRequest(ccClient.client_id, ccClient.client_secret, ghToken))),
    ],
    WARMUP,
  );

  // 1 and 4: argon2id on one core vs full logins (password only; password + TOTP), interleaved.
  log(`argon2id verify (${SECONDS / 2}s) and logins (c=${LOGIN_CONCURRENCY}, ${SECONDS * 1.5}s each, password / password + TOTP), interleaved`);
  let nextUser = 0;
  const passwordTask = async () => passwordLogin(gh.url, rp, users[nextUser++ % users.length]);
  const totpTask = async () => {
    const { user, nowMs } = await totpUsers.take();
    return passwordLogin(gh.url, rp, user, { nowMs });
  };
  const loginContender = (name: string, task: () => Promise<true | string>, servers: Child[] = [gh]): Contender => ({
    name,
    seconds: SECONDS * 1.5,
    children: servers,
    run: (seconds) => closedLoop({ concurrency: LOGIN_CONCURRENCY, seconds, task }),
  });
  const { argon2: argon, logins, totpLogins } = await interleaved(
    redis,
    [await argon2Contender(), loginContender('logins', passwordTask), loginContender('totpLogins', totpTask)],
    Math.min(1, WARMUP),
  );

  // 4c: password + TOTP sign-ins, open loop at half of their peak.
  const halfLoginRate = Math.max(1, totpLogins.result.rate / 2);
  log(`password + TOTP sign-ins, open loop at ${halfLoginRate.toFixed(1)}/s for ${SECONDS * 1.5}s`);
  const halfLogins = await (async () => {
    const meter = cpuMeter({ gh: gh.pid });
    const result = await openLoop({ rate: halfLoginRate, seconds: SECONDS * 1.5, task: totpTask });
    return { result, cpu: meter.stop() };
  })();

  // 9: one organization of TOTP_USERS people vs TOTP_USERS people in as many organizations.
  log(`${TOTP_USERS} people of one organization vs ${TOTP_USERS} in ${TOTP_USERS} organizations, c=${ORG_CONCURRENCY}, interleaved (setup not timed)`);
  const oneOrgUsers = await gh.call<LoginUser[]>('createUsers', { count: TOTP_USERS, password: 'Correct-Horse-9', kind: 'totp' });
  await gh.call('joinOneOrganization', { accountIds: oneOrgUsers.map((u) => u.id) });
  const oneOrgPool = new TotpUserPool(oneOrgUsers);
  const manyOrgPool = new TotpUserPool(await gh.call<LoginUser[]>('createUsers', { count: TOTP_USERS, password: 'Correct-Horse-9', kind: 'totp' }));
  const poolLogin = (pool: TotpUserPool) => async () => {
    const { user, nowMs } = await pool.take();
    return passwordLogin(gh.url, rp, user, { nowMs });
  };
  const orgs = await interleaved(
    redis,
    [
      { name: 'manyOrgs', seconds: SECONDS * 1.5, children: [gh], run: (seconds) => closedLoop({ concurrency: ORG_CONCURRENCY, seconds, task: poolLogin(manyOrgPool) }) },
      { name: 'oneOrg', seconds: SECONDS * 1.5, children: [gh], run: (seconds) => closedLoop({ concurrency: ORG_CONCURRENCY, seconds, task: poolLogin(oneOrgPool) }) },
    ],
    0,
  );
  const chain = await gh.call<{ chains: number; events: number; breaks: unknown[] }>('verifyAudit');

  // 5. Memory with live sessions (they live in Redis, so the process should not grow with them).
  const sessionPattern = `${gh.ready.prefix}Session:*`;
  const sessionsAfterLogins = await countKeys(redis, sessionPattern);
  const rssAfterLogins = rssBytes(gh.pid);
  memory.push(`after logins (${sessionsAfterLogins} live sessions) ${await memoryOf(gh)}`);
  log(`seeding ${SESSIONS} sessions through the provider's Session model`);
  const seedStarted = performance.now();
  const seeded = await gh.call<{ sampleSessionId: string }>('seedSessions', { count: SESSIONS, accountId: users[0].id });
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const liveSessions = await countKeys(redis, sessionPattern);
  const spotCheck = await sessionSkipsSignIn(gh.url, rp, seeded.sampleSessionId, secrets.COOKIE_KEYS);
  const rssWithSessions = rssBytes(gh.pid);
  memory.push(`after +${SESSIONS} sessions (${liveSessions} live) ${await memoryOf(gh)}`);

  await gh2.stop();
  await gh.stop();

  // 10: the embedded default (PGlite, provider state in SQL): client credentials vs bare, sign-ins vs argon2id.
  let embedded: { cc: Record<string, Measured>; logins: Record<string, Measured>; poolWaitedMs: number } | undefined;
  if (EMBEDDED) {
    log('the embedded store: client_credentials bare / bare as published / Gatehouse on PGlite, then argon2id / password + TOTP sign-ins');
    const eh = await startChild('ghEmbedded', './server-process.ts', { BENCH_EMBEDDED: '1', DATABASE_URL: '', REDIS_URL: '', ...secrets });
    const ehClient = await eh.call<{ client_id: string; client_secret: string }>('createClient', {
      metadata: { grant_types: ['client_credentials'], redirect_uris: [], response_types: [] },
    });
    const ehRp = await eh.call<LoginClient>('createClient', {
      metadata: { redirect_uris: ['http://127.0.0.1:9/callback'], grant_types: ['authorization_code'], response_types: ['code'], scope: 'openid profile email', first_party: true },
    });
    // As many users as #4b: each signs in once per TOTP step, and 300 ran out within a step once the
    // embedded sign-ins got faster (workers then wait for the next step, which reads as seconds of latency).
    const ehPool = new TotpUserPool(await eh.call<LoginUser[]>('createUsers', { count: TOTP_USERS, password: 'Correct-Horse-9', kind: 'totp' }));
    const ccE = await interleaved(redis, [clientCredentials('bare', [bare], bareClient), clientCredentials('bareStock', [bareStock], bareClient), clientCredentials('ghEmbedded', [eh], ehClient)], WARMUP);
    const loginsE = await interleaved(
      redis,
      [
        await argon2Contender(),
        loginContender('embeddedTotpLogins', async () => {
          const { user, nowMs } = await ehPool.take();
          return passwordLogin(eh.url, ehRp, user, { nowMs });
        }, [eh]),
      ],
      Math.min(1, WARMUP),
    );
    embedded = { cc: ccE, logins: loginsE, poolWaitedMs: ehPool.waitedMs };
    await eh.stop();
  }
  await bare.stop();
  await bareStock.stop();
  await bareRedis.stop();
  redis.disconnect();

  // ---- table
  const cpuRatio = (gh: Measured, base: Measured, ghName: string, baseName: string) =>
    (gh.cpu.perPid[ghName] / gh.result.rate) / (base.cpu.perPid[baseName] / base.result.rate);
  const ccRatio = cc.gh.result.rate / cc.bare.result.rate;
  const pairRatio = cc.pair.result.rate / cc.gh.result.rate;
  const loginRatio = logins.result.rate / argon.result.rate;
  const totpRatio = totpLogins.result.rate / argon.result.rate;
  row('1', 'argon2id verify, sequential, 1 core (m=19456,t=2,p=1)', argon.result, '', `${cpuText(argon.cpu)}; per op: CPU loadgen ${((argon.cpu.self / argon.result.rate) * 1000).toFixed(1)}ms` + errorsNote(argon.result));
  row('2', `bare oidc-provider cc, MemoryAdapter, N=${CONNECTIONS}`, cc.bare.result, '1.00 (base)', details(cc.bare));
  row('2s', `bare oidc-provider as published (without patches/), cc, MemoryAdapter, N=${CONNECTIONS}`, cc.bareStock.result, `${(cc.bareStock.result.rate / cc.bare.result.rate).toFixed(2)} of #2`, details(cc.bareStock));
  row('2r', `bare oidc-provider cc, state in Redis (bench/bare-redis-adapter.ts), N=${CONNECTIONS}`, cc.bareRedis.result, `${(cc.bareRedis.result.rate / cc.bare.result.rate).toFixed(2)} of #2`, details(cc.bareRedis));
  row('3a', `Gatehouse cc (PostgreSQL+Redis), full load, N=${CONNECTIONS}`, cc.gh.result, `${ccRatio.toFixed(2)} of #2, ${(cc.gh.result.rate / cc.bareRedis.result.rate).toFixed(2)} of #2r`, details(cc.gh));
  row(
    '3b',
    `Gatehouse cc, open loop at 50% of peak (${halfRate}/s)`,
    half.result,
    '',
    openLoopNotes(half),
  );
  row(
    '3bb',
    `bare oidc-provider cc, the same open loop (${halfRate}/s)`,
    bareHalf.result,
    '',
    openLoopNotes(bareHalf),
  );
  row(
    '3c',
    `Gatehouse cc, N=${MANY_CONNECTIONS} connections (bare: ${fmt(ccMany.bareMany.result.rate)}/s)`,
    ccMany.ghMany.result,
    `${(ccMany.ghMany.result.rate / ccMany.bareMany.result.rate).toFixed(2)} of bare at N=${MANY_CONNECTIONS}`,
    `CPU/op ${cpuRatio(ccMany.ghMany, ccMany.bareMany, 'gh', 'bare').toFixed(2)}× bare; ${details(ccMany.ghMany)}`,
  );
  row('4', `Gatehouse login, password only (MFA-exempt service account) + PKCE code exchange, c=${LOGIN_CONCURRENCY}`, logins.result, `${loginRatio.toFixed(2)} of #1`, details(logins));
  row(
    '4b',
    `Gatehouse login, password + TOTP (${TOTP_USERS} users) + PKCE code exchange, c=${LOGIN_CONCURRENCY}`,
    totpLogins.result,
    `${totpRatio.toFixed(2)} of #1`,
    details(totpLogins) + (totpUsers.waitedMs ? `; user pool ran out: workers waited ${(totpUsers.waitedMs / 1000).toFixed(1)}s for a new TOTP step` : ''),
  );
  rows.push({
    id: '5',
    what: `Gatehouse RSS with ${liveSessions} live sessions (in Redis)`,
    rate: '',
    p50: '',
    p99: '',
    ratio: '',
    notes:
      `${mib(rssWithSessions)} RSS (${mib(rssAfterLogins)} after #4 with ${sessionsAfterLogins} sessions); ` +
      `${SESSIONS} added via Session#save in ${seedSeconds.toFixed(1)}s; one of them as a cookie at /auth gets a code without sign-in: ${spotCheck === true ? 'yes' : spotCheck}`,
  });
  row('6', `2 Gatehouse processes cc, N=${CONNECTIONS} split, same stores`, cc.pair.result, `${pairRatio.toFixed(2)} of #3a`, details(cc.pair));
  const ccCpu = cpuRatio(cc.gh, cc.bare, 'gh', 'bare');
  const ccCpuStock = cpuRatio(cc.gh, cc.bareStock, 'gh', 'bareStock');
  const refreshCpu = cpuRatio(refresh.ghRefresh, refresh.bareRefresh, 'gh', 'bare');
  const introspectCpu = cpuRatio(introspection.ghIntrospect, introspection.bareIntrospect, 'gh', 'bare');
  const refreshCpuStock = cpuRatio(refresh.ghRefresh, refresh.bareStockRefresh, 'gh', 'bareStock');
  const introspectCpuStock = cpuRatio(introspection.ghIntrospect, introspection.bareStockIntrospect, 'gh', 'bareStock');
  // The same against the bare provider on Redis: what Gatehouse adds beyond a real store's cost.
  const ccCpuRedis = cpuRatio(cc.gh, cc.bareRedis, 'gh', 'bareRedis');
  const refreshCpuRedis = cpuRatio(refresh.ghRefresh, refresh.bareRedisRefresh, 'gh', 'bareRedis');
  const introspectCpuRedis = cpuRatio(introspection.ghIntrospect, introspection.bareRedisIntrospect, 'gh', 'bareRedis');
  const onRedis = (ratio: number, unit = '×') => `${ratio.toFixed(2)}${unit === '×' ? '×' : ' of'} the bare provider on Redis`;
  /** "vs the published library" beside a figure measured against the patched bare baseline. */
  const published = (ratio: number, unit = '×') => `${ratio.toFixed(2)}${unit === '×' ? '× the' : ' of the'} published library`;
  row('7a', `bare oidc-provider refresh_token grant (rotating, ID token), N=${CONNECTIONS}`, refresh.bareRefresh.result, '1.00 (base)', details(refresh.bareRefresh));
  row('7r', `bare oidc-provider refresh_token grant, state in Redis, N=${CONNECTIONS}`, refresh.bareRedisRefresh.result, `${(refresh.bareRedisRefresh.result.rate / refresh.bareRefresh.result.rate).toFixed(2)} of #7a`, details(refresh.bareRedisRefresh));
  row('7b', `Gatehouse refresh_token grant (rotating, ID token), N=${CONNECTIONS}`, refresh.ghRefresh.result, `${(refresh.ghRefresh.result.rate / refresh.bareRefresh.result.rate).toFixed(2)} of #7a`, `CPU/op ${refreshCpu.toFixed(2)}× bare (${published(refreshCpuStock)}, ${onRedis(refreshCpuRedis)}); ` + details(refresh.ghRefresh));
  row('8a', `bare oidc-provider introspection, N=${CONNECTIONS}`, introspection.bareIntrospect.result, '1.00 (base)', details(introspection.bareIntrospect));
  row('8r', `bare oidc-provider introspection, state in Redis, N=${CONNECTIONS}`, introspection.bareRedisIntrospect.result, `${(introspection.bareRedisIntrospect.result.rate / introspection.bareIntrospect.result.rate).toFixed(2)} of #8a`, details(introspection.bareRedisIntrospect));
  row('8b', `Gatehouse introspection, N=${CONNECTIONS}`, introspection.ghIntrospect.result, `${(introspection.ghIntrospect.result.rate / introspection.bareIntrospect.result.rate).toFixed(2)} of #8a`, `CPU/op ${introspectCpu.toFixed(2)}× bare (${published(introspectCpuStock)}, ${onRedis(introspectCpuRedis)}); ` + details(introspection.ghIntrospect));
  row('4c', `Gatehouse password + TOTP sign-in, open loop at 50% of #4b (${halfLoginRate.toFixed(1)}/s)`, halfLogins.result, '', `${cpuText(halfLogins.cpu)}; ${generatorStallNote(halfLogins.result.generatorStalls)}` + errorsNote(halfLogins.result));
  const orgRatio = orgs.oneOrg.result.rate / orgs.manyOrgs.result.rate;
  row('9a', `password + TOTP sign-ins, ${TOTP_USERS} people in ${TOTP_USERS} organizations, c=${ORG_CONCURRENCY}`, orgs.manyOrgs.result, '1.00 (base)', details(orgs.manyOrgs));
  row('9b', `password + TOTP sign-ins, ${TOTP_USERS} people of ONE organization, c=${ORG_CONCURRENCY}`, orgs.oneOrg.result, `${orgRatio.toFixed(2)} of #9a`, `audit verify after: ${chain.breaks.length ? 'BROKEN' : 'ok'} (${chain.events} events in ${chain.chains} chains); ` + details(orgs.oneOrg));
  let embeddedCc = NaN;
  let embeddedCcStock = NaN;
  let embeddedLogin = NaN;
  if (embedded) {
    embeddedCc = embedded.cc.ghEmbedded.result.rate / embedded.cc.bare.result.rate;
    embeddedLogin = embedded.logins.embeddedTotpLogins.result.rate / embedded.logins.argon2.result.rate;
    embeddedCcStock = embedded.cc.ghEmbedded.result.rate / embedded.cc.bareStock.result.rate;
    row('10a', `embedded store (PGlite) cc, N=${CONNECTIONS}`, embedded.cc.ghEmbedded.result, `${embeddedCc.toFixed(2)} of bare (${fmt(embedded.cc.bare.result.rate)}/s here; ${published(embeddedCcStock, '')} at ${fmt(embedded.cc.bareStock.result.rate)}/s)`, details(embedded.cc.ghEmbedded));
    row('10b', `embedded store password + TOTP sign-in, c=${LOGIN_CONCURRENCY}`, embedded.logins.embeddedTotpLogins.result, `${embeddedLogin.toFixed(2)} of argon2 (${fmt(embedded.logins.argon2.result.rate, 1)}/s here)`, details(embedded.logins.embeddedTotpLogins) + (embedded.poolWaitedMs ? `; user pool ran out: workers waited ${(embedded.poolWaitedMs / 1000).toFixed(1)}s for a new TOTP step` : ''));
  }

  console.log('');
  printTable();
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log('');
  const targets: [string, string, boolean][] = [
    ['cc server CPU per token ≤ 1.25× bare', `${ccCpu.toFixed(2)}× (${published(ccCpuStock)}, #2s; ${onRedis(ccCpuRedis)}, #2r)`, ccCpu <= 1.25],
    ['cc throughput ≥ 0.8 of bare', `${ccRatio.toFixed(2)} (${published(cc.gh.result.rate / cc.bareStock.result.rate, '')}; ${onRedis(cc.gh.result.rate / cc.bareRedis.result.rate, '')})`, ccRatio >= 0.8],
    ['refresh CPU per grant ≤ 1.25× bare', `${refreshCpu.toFixed(2)}× (${published(refreshCpuStock)}; ${onRedis(refreshCpuRedis)})`, refreshCpu <= 1.25],
    ['introspection CPU per call ≤ 1.25× bare', `${introspectCpu.toFixed(2)}× (${published(introspectCpuStock)}; ${onRedis(introspectCpuRedis)})`, introspectCpu <= 1.25],
    ['cc p99 < 25 ms at half peak', `${fmt(half.result.p99, 1)} ms (bare in the same open loop: ${fmt(bareHalf.result.p99, 1)} ms)`, half.result.p99 < 25],
    ['password + TOTP sign-in p99 < 250 ms at half peak', `${fmt(halfLogins.result.p99, 0)} ms`, halfLogins.result.p99 < 250],
    ['password + TOTP sign-ins ≥ 0.85 of argon2id', totpRatio.toFixed(2), totpRatio >= 0.85],
    ['one organization ≥ 0.9 of many', orgRatio.toFixed(2), orgRatio >= 0.9],
    ['audit chain verifies after', chain.breaks.length ? 'broken' : 'ok', chain.breaks.length === 0],
    ['RSS < 200 MiB with 10k sessions', mib(rssWithSessions), rssWithSessions < 200 * 1024 * 1024],
    ...(embedded
      ? ([
          ['embedded cc ≥ 0.3 of bare', `${embeddedCc.toFixed(2)} (${published(embeddedCcStock, '')})`, embeddedCc >= 0.3],
          ['embedded sign-in ≥ 0.8 of argon2id', embeddedLogin.toFixed(2), embeddedLogin >= 0.8],
        ] as [string, string, boolean][])
      : []),
  ];
  console.log('targets:');
  for (const [what, value, ok] of targets) console.log(`  ${verdict(ok).padEnd(7)} ${what}: ${value}`);
  console.log(`  (password-only sign-ins: ${loginRatio.toFixed(2)} of argon2id)`);
  console.log(`memory of the Gatehouse child: ${memory.join('; ')}`);
  if (PROFILE_DIR) {
    fs.writeFileSync(path.join(PROFILE_DIR, 'profiles.json'), JSON.stringify(profiles, null, 2));
    console.log(`CPU profiles (first measured slice of each figure): ${profiles.map((p) => `${path.basename(p.file)} (${p.completed} done)`).join(', ')} in ${PROFILE_DIR}`);
  }
  console.log(
    `notes: CPU = cores used during the measured slices: the named server processes, loadgen (this process, incl. argon2 threads), ` +
      `pg (all PostgreSQL processes), redis, other (everything else on the box, e.g. other people's test runs); box = all busy cores of ${os.availableParallelism()}. ` +
      `Gatehouse's hasher runs up to ${os.availableParallelism()} argon2 verifications at once, so #4 can exceed #1. ` +
      `#6 runs two servers, PostgreSQL, Redis and the load generator on ${os.availableParallelism()} cores: it shows contention, not scaling.`,
  );
}

async function shutdown(code: number) {
  await stopAll();
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(130));
process.on('SIGTERM', () => void shutdown(143));

try {
  await main();
  await shutdown(0);
} catch (err) {
  if (err instanceof Unreachable) console.error(`bench: ${err.message}`);
  else console.error(err);
  await shutdown(1);
}
