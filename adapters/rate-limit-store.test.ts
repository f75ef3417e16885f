// The throttles' store on every backend: embedded PGlite (and its data directory across a restart),
// PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set. Same behaviour everywhere.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { migrate, openDatabase } from './database.ts';
import { createRedisRateLimitStore, createSqlRateLimitStore } from './rate-limit-store.ts';
import { deleteAll, getAll, type RateLimitStore } from '../accounts/rate-limits.ts';

type Opened = { store: RateLimitStore; close(): Promise<void> };

function contract(name: string, open: () => Promise<Opened>) {
  describe(`rate-limit store (${name})`, () => {
    let opened: Opened;
    before(async () => {
      opened = await open();
    });
    after(() => opened.close());

    it('counts hits in a window, per key', async () => {
      const limiter = opened.store.limiter('contract-count', 60);
      assert.equal((await limiter.add('a')).count, 1);
      assert.equal((await limiter.add('a', 2)).count, 3);
      assert.equal((await limiter.add('b')).count, 1);
      const a = await limiter.get('a');
      assert.equal(a?.count, 3);
      assert.ok(a!.resetInMs > 50_000 && a!.resetInMs <= 60_000, `resets within the window (${a!.resetInMs} ms)`);
      assert.equal(await limiter.get('never'), undefined);
    });

    it('sets a key for exactly the given time and deletes it', async () => {
      const limiter = opened.store.limiter('contract-hold', 24 * 3600);
      await limiter.set('k', 1, 120);
      const held = await limiter.get('k');
      assert.equal(held?.count, 1);
      assert.ok(held!.resetInMs > 110_000 && held!.resetInMs <= 120_000, `held for the set time, not the window (${held!.resetInMs} ms)`);
      await limiter.delete('k');
      assert.equal(await limiter.get('k'), undefined);
    });

    it('keeps limiters of different names apart', async () => {
      await opened.store.limiter('contract-x', 60).add('same');
      assert.equal(await opened.store.limiter('contract-y', 60).get('same'), undefined);
    });

    it('takes any typed key: long, NUL bytes, non-ASCII (stored hashed), still apart from each other', async () => {
      const limiter = opened.store.limiter('contract-keys', 60);
      for (const key of ['x'.repeat(1000), 'a\u0000b', 'æøå@example.com', 'a\u0000c']) {
        assert.equal((await limiter.add(key)).count, 1, JSON.stringify(key.slice(0, 20)));
        assert.equal((await limiter.get(key))?.count, 1);
      }
    });

    it('counts concurrent hits exactly once each', async () => {
      const limiter = opened.store.limiter('contract-race', 60);
      await Promise.all(Array.from({ length: 20 }, () => limiter.add('r')));
      assert.equal((await limiter.get('r'))?.count, 20);
    });

    it('reads and deletes several limiters at once exactly as one get or delete each', async () => {
      const counts = opened.store.limiter('contract-many-counts', 60);
      const holds = opened.store.limiter('contract-many-holds', 24 * 3600);
      await counts.add('p', 3);
      await holds.set('p', 7, 120);
      await holds.set('æøå', 1, 60);
      const reads = [[counts, 'p'], [holds, 'p'], [counts, 'none'], [holds, 'æøå'], [counts, 'p']] as const;
      const many = await getAll(opened.store, reads);
      const one = await Promise.all(reads.map(([l, k]) => l.get(k)));
      assert.deepEqual(many.map((c) => c?.count), [3, 7, undefined, 1, 3]);
      assert.deepEqual(one.map((c) => c?.count), [3, 7, undefined, 1, 3]);
      for (const [i, c] of many.entries()) if (c) assert.ok(Math.abs(c.resetInMs - one[i]!.resetInMs) < 5_000, `reset ${c.resetInMs} vs ${one[i]!.resetInMs}`);
      await deleteAll(opened.store, [[counts, 'p'], [holds, 'p'], [counts, 'none']]);
      assert.deepEqual((await getAll(opened.store, reads)).map((c) => c?.count), [undefined, undefined, undefined, 1, undefined]);
    });
  });
}

contract('embedded PGlite', async () => {
  const db = await openDatabase({});
  await migrate(db.knex);
  return { store: createSqlRateLimitStore(db.knex), close: () => db.close() };
});

describe('rate-limit store (embedded PGlite data directory)', () => {
  it('survives a restart: a wait set before is still there after reopening', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-rl-'));
    try {
      const first = await openDatabase({ dataDir });
      await migrate(first.knex);
      await createSqlRateLimitStore(first.knex).limiter('restart', 3600).set('account', 20, 3600);
      await first.close();
      const second = await openDatabase({ dataDir });
      const held = await createSqlRateLimitStore(second.knex).limiter('restart', 3600).get('account');
      await second.close();
      assert.equal(held?.count, 20);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

if (process.env.DATABASE_URL) {
  const schema = `gh_test_rl_${process.pid}`;
  contract('PostgreSQL', async () => {
    const db = await openDatabase({ databaseUrl: process.env.DATABASE_URL, schema });
    await migrate(db.knex);
    return {
      store: createSqlRateLimitStore(db.knex),
      close: async () => {
        await db.knex.raw('drop schema if exists ?? cascade', [schema]);
        await db.close();
      },
    };
  });
} else {
  describe.skip('rate-limit store (PostgreSQL: DATABASE_URL not set)', () => {});
}

if (process.env.REDIS_URL) {
  const prefix = `gh_test_rl_${process.pid}:`;
  contract('Redis', async () => {
    const redis = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    await new Promise((resolve) => redis.once('ready', resolve));
    return {
      store: createRedisRateLimitStore(redis, { prefix }),
      close: async () => {
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length) await redis.del(...keys);
        await redis.quit();
      },
    };
  });
} else {
  describe.skip('rate-limit store (Redis: REDIS_URL not set)', () => {});
}
