// The throttles' rate-limit store (accounts/rate-limits.ts) on rate-limiter-flexible: RateLimiterRedis
// on ioredis in production (under the server's Redis key prefix), RateLimiterPostgres on the SQL
// database otherwise (the `rate_limits` table; on PGlite it survives a restart with ./data).
// Store failures are thrown as they are: a throttle that can't count fails closed (503), never open.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { isCluster, type RedisClient } from './redis-connection.ts';
import { RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, type RateLimiterStoreAbstract } from 'rate-limiter-flexible';
import type { Counter, RateLimiter, RateLimitStore } from '../accounts/rate-limits.ts';
import { compileQueryByCount, runsOf } from './compiled-query.ts';

/** The counters are ours to compare with thresholds: the library's own limit is never reached. */
const NO_LIMIT = 2 ** 31 - 1;

export const RATE_LIMIT_TABLE = 'rate_limits';

const toCounter = (res: RateLimiterRes): Counter => ({ count: res.consumedPoints, resetInMs: Math.max(0, res.msBeforeNext) });

/**
 * Keys come from what people type (usernames, addresses): long ones and ones with bytes PostgreSQL
 * text refuses (NUL) or that are not plain ASCII are stored as their SHA-256, so any input is a valid key.
 */
export function storeKey(key: string): string {
  return key.length <= 120 && /^[\x20-\x7e]*$/.test(key) ? key : `sha256:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/** Each wrapped limiter's library object, for the stores' one-round-trip reads and deletes. */
const libraryOf = new WeakMap<RateLimiter, RateLimiterStoreAbstract>();
/** The library's key of `key` in `limiter` (`<keyPrefix>:<key>`, from its own getKey). */
function libraryKey(limiter: RateLimiter, key: string): string {
  const library = libraryOf.get(limiter);
  if (!library) throw new Error('rate-limit store: a limiter of another store');
  return library.getKey(storeKey(key));
}
/** How get() and the batched reads read the library's answer: a counter whose window just ended is none. */
const counterOf = (consumedPoints: number, msBeforeNext: number): Counter | undefined =>
  msBeforeNext !== 0 ? { count: consumedPoints, resetInMs: Math.max(0, msBeforeNext) } : undefined;

function wrap(limiter: RateLimiterStoreAbstract): RateLimiter {
  const wrapped: RateLimiter = {
    async add(rawKey, n = 1) {
      const key = storeKey(rawKey);
      try {
        return toCounter(await limiter.consume(key, n));
      } catch (err) {
        if (err instanceof RateLimiterRes) return toCounter(err); // over the library's limit: still a count
        throw err;
      }
    },
    async get(key) {
      const res = await limiter.get(storeKey(key));
      return res ? counterOf(res.consumedPoints, res.msBeforeNext) : undefined;
    },
    async set(key, count, seconds) {
      await limiter.set(storeKey(key), count, seconds);
    },
    async delete(key) {
      await limiter.delete(storeKey(key));
    },
  };
  libraryOf.set(wrapped, limiter);
  return wrapped;
}

export function createRedisRateLimitStore(redis: RedisClient, options: { prefix?: string } = {}): RateLimitStore {
  // A sign-in check reads three counters and a completed sign-in clears three: one MULTI (GET and
  // PTTL of each key, as the library's get() sends them) and one DEL instead of one each. A cluster
  // keeps one command per key (the keys live in different slots).
  const batched = !isCluster(redis);
  return {
    ...(batched && {
      async getMany(reads) {
        const multi = redis.multi();
        for (const [limiter, key] of reads) {
          const rlKey = libraryKey(limiter, key);
          multi.get(rlKey).pttl(rlKey);
        }
        const results = await multi.exec();
        if (results === null) throw new Error('redis transaction aborted');
        return reads.map((_, i) => {
          const [[getErr, points], [ttlErr, ttl]] = [results[2 * i], results[2 * i + 1]];
          if (getErr || ttlErr) throw getErr ?? ttlErr;
          return points === null ? undefined : counterOf(parseInt(points as string), ttl as number);
        });
      },
      async deleteMany(keys) {
        if (keys.length) await redis.del(...keys.map(([limiter, key]) => libraryKey(limiter, key)));
      },
    } satisfies Partial<RateLimitStore>),
    limiter(name, windowSeconds) {
      return wrap(new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${options.prefix ?? ''}throttle:${name}`,
        points: NO_LIMIT,
        duration: windowSeconds,
        inMemoryBlockOnConsumed: 0, // an in-process block would survive an administrator's unlock
      }));
    },
  };
}

/**
 * RateLimiterPostgres speaks node-postgres (`query({ text, values })` with $n parameters); this hands
 * its statements to knex, so it runs on PostgreSQL (in the test schema's search path) and on PGlite alike.
 */
function knexQueryClient(knex: Knex) {
  // The library's statements are a handful of fixed texts: each is prepared once per connection by a
  // name of its text (adapters/compiled-query.ts says why); schema statements are left as they are.
  const names = new Map<string, string | undefined>();
  const nameOf = (text: string) => {
    if (!names.has(text)) names.set(text, /^\s*(select|insert|update|delete|with)\b/i.test(text) ? `rl_${createHash('sha256').update(text).digest('hex').slice(0, 24)}` : undefined);
    return names.get(text);
  };
  return {
    async query(q: { text: string; values?: unknown[] }) {
      const values: unknown[] = [];
      const text = q.text.replace(/\$(\d+)/g, (_, n: string) => {
        values.push(q.values?.[Number(n) - 1] ?? null);
        return '?';
      });
      const name = nameOf(q.text);
      const raw = knex.raw(text, values as Knex.RawBinding[]);
      const result = (await (name ? raw.options({ name }) : raw)) as { rows?: unknown[]; rowCount?: number; affectedRows?: number };
      const rows = result.rows ?? [];
      // PGlite reports affectedRows (0 for a SELECT); the library reads rowCount for both.
      return { rows, rowCount: rows.length > 0 ? rows.length : (result.rowCount ?? result.affectedRows ?? 0) };
    },
  };
}

/** Counters read or cleared together at most (a sign-in's throttle reads three). */
const KEYS_PER_STATEMENT = 16;
const readCounters = compileQueryByCount<{ key: string; points: number; expire: string | number | null }>(KEYS_PER_STATEMENT, (knex, param, keys) =>
  knex(RATE_LIMIT_TABLE)
    .whereIn('key', Array.from({ length: keys }, (_, i) => param(i + 1)))
    .andWhere((w) => w.where('expire', '>', param(0)).orWhereNull('expire'))
    .select('key', 'points', 'expire'),
);
const clearCounters = compileQueryByCount(KEYS_PER_STATEMENT, (knex, param, keys) =>
  knex(RATE_LIMIT_TABLE).whereIn('key', Array.from({ length: keys }, (_, i) => param(i))).delete(),
);

export function createSqlRateLimitStore(knex: Knex): RateLimitStore {
  const client = knexQueryClient(knex);
  let sweeping = false;
  return {
    // One SELECT (one DELETE) for several counters: the library's statements with `key in (…)`. On
    // PGlite each statement runs on the server's own thread.
    async getMany(reads) {
      const keys = reads.map(([limiter, key]) => libraryKey(limiter, key));
      const now = Date.now();
      const rows = [];
      for (const run of runsOf([...new Set(keys)], KEYS_PER_STATEMENT)) rows.push(...(await readCounters(run.length)(knex, [now, ...run])));
      const byKey = new Map(rows.map((r) => [r.key, r]));
      return keys.map((k) => {
        const row = byKey.get(k);
        // As the library's Postgres result: no expiry reads -1, else the time left (never below 0).
        return row ? counterOf(row.points, row.expire ? Math.max(Number(row.expire) - Date.now(), 0) : -1) : undefined;
      });
    },
    async deleteMany(keys) {
      for (const run of runsOf(keys.map(([limiter, key]) => libraryKey(limiter, key)), KEYS_PER_STATEMENT)) await clearCounters(run.length)(knex, run);
    },
    limiter(name, windowSeconds) {
      const limiter = new RateLimiterPostgres({
        storeClient: client,
        storeType: 'client',
        tableName: RATE_LIMIT_TABLE,
        tableCreated: true, // by the migration, like every other table
        keyPrefix: name,
        points: NO_LIMIT,
        duration: windowSeconds,
        inMemoryBlockOnConsumed: 0,
        // One limiter sweeps expired rows (every 5 minutes) for the whole table.
        clearExpiredByTimeout: !sweeping,
      } as ConstructorParameters<typeof RateLimiterPostgres>[0]);
      sweeping = true;
      return wrap(limiter);
    },
  };
}
