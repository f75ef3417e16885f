import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClientCache, shareClientInvalidations } from './client-cache.ts';

describe('client cache', () => {
  function countingLoader() {
    const calls: string[] = [];
    let version = 1;
    return {
      calls,
      bump: () => version++,
      load: async (id: string) => (calls.push(id), id === 'unknown' ? undefined : { client_id: id, version }),
    };
  }

  it('serves repeated lookups from memory, never caches unknown ids, and evicts on invalidate', async () => {
    const loader = countingLoader();
    const cache = createClientCache(loader.load, 30);
    await cache.find('app');
    await cache.find('app');
    assert.deepEqual(loader.calls, ['app']);
    await cache.find('unknown');
    await cache.find('unknown');
    assert.equal(loader.calls.filter((c) => c === 'unknown').length, 2);
    loader.bump();
    cache.invalidate('app');
    assert.equal(cache.peek('app'), undefined, 'an evicted client is not answered from memory');
    assert.equal((await cache.find('app'))?.version, 2);
    assert.equal(cache.peek('app')?.version, 2);
    assert.equal(cache.peek('unknown'), undefined);
  });

  it('expires entries after the TTL', async () => {
    const loader = countingLoader();
    const cache = createClientCache(loader.load, 0.05);
    await cache.find('app');
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(cache.peek('app'), undefined, 'an expired entry is not answered from memory');
    await cache.find('app');
    assert.equal(loader.calls.length, 2);
  });

  const redisUrl = process.env.REDIS_URL;
  (redisUrl ? it : it.skip)(`evicts a changed client in every process through Redis${redisUrl ? '' : ' (skipped: REDIS_URL not set)'}`, async () => {
    const a = new Redis(redisUrl!);
    const b = new Redis(redisUrl!);
    const loaderA = countingLoader();
    const loaderB = countingLoader();
    const cacheA = createClientCache(loaderA.load, 30);
    const cacheB = createClientCache(loaderB.load, 30);
    const sharedA = await shareClientInvalidations(a, cacheA);
    const sharedB = await shareClientInvalidations(b, cacheB);
    try {
      await cacheB.find('app');
      loaderB.bump();
      sharedA.announce('app'); // process A rotated the app's secret
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((await cacheB.find('app'))?.version, 2, 'process B reloaded it');
    } finally {
      await sharedA.stop();
      await sharedB.stop();
      await a.quit();
      await b.quit();
    }
  });
});
