// Quick look at one figure: what a password + TOTP sign-in costs besides its argon2id hash. The
// server's main thread does everything but the hash (argon2 runs on libuv's pool), so its CPU per
// sign-in is the overhead; the SQL statements per sign-in are listed by count.
// BENCH_LOGINS (default 200), BENCH_LOGIN_CONCURRENCY (4), BENCH_CPU_PROF=<dir>, BENCH_BUILD=<dir> (a saved build).
import { Redis } from 'ioredis';
import { passwordLogin, TotpUserPool, type LoginClient, type LoginUser } from './login.ts';
import { cpuMeter, threadsOf } from './proc.ts';
import { startQuickChild } from './quick-child.ts';

const LOGINS = Number(process.env.BENCH_LOGINS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_LOGIN_CONCURRENCY ?? 4);
const PROF = process.env.BENCH_CPU_PROF;

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
async function commandStats(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const m of ((await redis.info('commandstats')) as string).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1], Number(m[2]));
  return out;
}

/** CPU ms by thread kind (the main thread's system time apart), summed over threads of one name. */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const { comm, cpu, sys } of threadsOf(pid).values()) {
    const kind = comm.replace(/\d+$/, '');
    out.set(kind, (out.get(kind) ?? 0) + cpu * 1000);
    if (kind === 'MainThread') out.set('MainThread(sys)', (out.get('MainThread(sys)') ?? 0) + sys * 1000);
  }
  return out;
}

// BENCH_BUILD=<dir>: a saved copy of build/ (the code before a change; bench/quick-child.ts).
const server = await startQuickChild('./server-process.ts', process.env.BENCH_BUILD ? { BENCH_BUILD: process.env.BENCH_BUILD } : {});
type Counters = { sqlQueries: number; statements: Record<string, number> };

const rp: LoginClient = await server.call<LoginClient>('createClient', { metadata: { redirect_uris: ['http://127.0.0.1:9/callback'], grant_types: ['authorization_code'], response_types: ['code'], scope: 'openid profile email', first_party: true } });
const pool = new TotpUserPool((await server.call<LoginUser[]>('createUsers', { count: Math.max(LOGINS + 40, 100), password: 'Correct-Horse-9', kind: 'totp' })) as LoginUser[]);
async function run(n: number) {
  let left = n;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (left-- > 0) {
      const { user, nowMs } = await pool.take();
      const outcome = await passwordLogin(server.url, rp, user, { nowMs });
      if (outcome !== true) throw new Error(outcome);
    }
  }));
}
await run(40); // warm-up
const redisBefore = await commandStats();
const before = threadCpu(server.pid);
const sqlBefore = await server.call<Counters>('counters');
const generatorBefore = process.cpuUsage();
const meter = cpuMeter({ server: server.pid });
if (PROF) await server.call('profileStart');
const started = performance.now();
await run(LOGINS);
const seconds = (performance.now() - started) / 1000;
if (PROF) await server.call('profileStop', { file: `${PROF}/login.cpuprofile` });
const generator = process.cpuUsage(generatorBefore);
const box = meter.stop();
const after = threadCpu(server.pid);
const redisAfter = await commandStats();
const sqlAfter = await server.call<Counters>('counters');
console.log(`${LOGINS} password + TOTP sign-ins, c=${CONCURRENCY}; CPU ms per sign-in by thread:`, [...after].map(([k, v]) => `${k} ${((v - (before.get(k) ?? 0)) / LOGINS).toFixed(2)}`).join(', '));
console.log(`${(LOGINS / seconds).toFixed(1)} sign-ins/s at c=${CONCURRENCY} (wall clock: depends on what else the box runs)`);
console.log(`the load generator (this process) used ${((generator.user + generator.system) / 1000 / LOGINS).toFixed(2)} ms CPU per sign-in`);
// The stores share the box's cores with the server: their CPU is part of what a sign-in costs.
const perLogin = (cores: number) => ((cores * box.seconds * 1000) / LOGINS).toFixed(2);
console.log(`PostgreSQL used ${perLogin(box.postgres)} ms CPU per sign-in, Redis ${perLogin(box.redis)} ms (all their processes; other load on the box: ${box.other.toFixed(2)} cores)`);
console.log(`SQL per sign-in: ${((sqlAfter.sqlQueries - sqlBefore.sqlQueries) / LOGINS).toFixed(1)}`);
const rows = Object.entries(sqlAfter.statements).map(([sql, n]) => [sql, (n - (sqlBefore.statements[sql] ?? 0)) / LOGINS] as const).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
for (const [sql, n] of rows) console.log(n.toFixed(2).padStart(6), sql.slice(0, 160));
const redisRows = [...redisAfter].map(([k, v]) => [k, (v - (redisBefore.get(k) ?? 0)) / LOGINS] as const).filter(([k, n]) => n > 0 && k !== 'info').sort((a, b) => b[1] - a[1]);
console.log(`Redis commands per sign-in: ${redisRows.reduce((s, [, n]) => s + n, 0).toFixed(1)} (${redisRows.map(([k, n]) => `${k} ${n.toFixed(1)}`).join(', ')})`);
server.proc.kill();
process.exit(0);
