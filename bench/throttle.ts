// `node bench/throttle.ts`: what the throttle costs per sign-in attempt and per token request, on
// each store (the policy's own store calls, no HTTP): a check (the reads before a secret is looked
// at) and a failure (the counts after a wrong one). Prints numbers; asserts nothing.
// Env: BENCH_THROTTLE_N (default 2000 operations each), DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/test), REDIS_URL (default redis://127.0.0.1:6379).
import { Redis } from 'ioredis';
import { migrate, openDatabase } from '../adapters/database.ts';
import { createRedisRateLimitStore, createSqlRateLimitStore } from '../adapters/rate-limit-store.ts';
import { createThrottlePolicy } from '../accounts/throttle.ts';
import type { RateLimitStore } from '../accounts/rate-limits.ts';

const N = Number(process.env.BENCH_THROTTLE_N ?? 2000);

function policyOn(store: RateLimitStore) {
  return createThrottlePolicy({
    store,
    audit: { record: async () => {} },
    findAccount: async () => undefined,
    mailer: { send: async () => {} },
    messages: { accountLocked: () => ({ subject: '', text: '', html: '' }) },
    forgotUrl: 'http://localhost/forgot',
    later: () => {},
  });
}

async function measure(name: string, op: (i: number) => Promise<unknown>) {
  const started = performance.now();
  for (let i = 0; i < N; i++) await op(i);
  const us = ((performance.now() - started) * 1000) / N;
  return { name, us };
}

async function figures(label: string, store: RateLimitStore) {
  const policy = policyOn(store);
  const run = `${process.pid}_${Date.now()}`;
  // Distinct usernames so no wait or lockout short-cuts the work.
  const rows = [
    await measure('sign-in check (3 reads)', (i) => policy.signIn.check({ username: `u${run}_${i}`, ip: `10.0.${i % 250}.1` })),
    await measure('sign-in failure (3 counts)', (i) => policy.signIn.failed({ username: `u${run}_${i}`, ip: `10.1.${i % 250}.1` })),
    await measure('/token check (2 reads)', async (i) => policy.clientAuth.check({ clientId: `c${run}_${i}`, ip: `10.2.${i % 250}.1` })),
  ];
  for (const r of rows) console.log(`${label.padEnd(22)} ${r.name.padEnd(28)} ${r.us.toFixed(0).padStart(6)} µs/op  (${N} sequential)`);
}

const pglite = await openDatabase({});
await migrate(pglite.knex);
await figures('embedded PGlite', createSqlRateLimitStore(pglite.knex));
await pglite.close();

const schema = `gh_bench_throttle_${process.pid}`;
const pg = await openDatabase({ databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', schema });
await migrate(pg.knex);
await figures('PostgreSQL', createSqlRateLimitStore(pg.knex));
await pg.knex.raw('drop schema if exists ?? cascade', [schema]);
await pg.close();

const prefix = `gh_bench_throttle_${process.pid}:`;
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
await new Promise((resolve) => redis.once('ready', resolve));
await figures('Redis', createRedisRateLimitStore(redis, { prefix }));
const keys = await redis.keys(`${prefix}*`);
for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
await redis.quit();
