// The adapter contract on a real three-master Redis Cluster (started on loopback ports by the test
// helper), plus what only a cluster can show: an entry's keys really spread over the masters, and
// a grant revoked while tokens of it are being written leaves none of them behind.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Cluster } from 'ioredis';
import { runAdapterContract } from './oidc-adapter.contract.ts';
import { createRedisAdapterFactory } from './oidc-redis-adapter.ts';
import { deleteKeysWithPrefix, openRedis, redisReady } from './redis-connection.ts';
import { redisClusterUnavailable, releaseRedisCluster, useRedisCluster } from '../test/helpers/redis-cluster.ts';

const unavailable = redisClusterUnavailable();

async function connect(): Promise<Cluster> {
  const { seeds } = await useRedisCluster();
  const redis = openRedis({ redisCluster: seeds }) as Cluster;
  redis.on('error', () => {});
  if (!(await redisReady(redis, 10_000))) throw new Error('redis cluster not ready');
  return redis;
}

if (unavailable) {
  it.skip(`oidc redis adapter on a Redis Cluster (skipped: ${unavailable})`);
} else {
  const prefix = `gh-test:${process.pid}:${randomUUID()}:`;

  describe('redis cluster', function () {
    this.timeout(60_000);

    runAdapterContract('oidc redis adapter on a Redis Cluster', async () => {
      const redis = await connect();
      return {
        factory: createRedisAdapterFactory(redis, { prefix }),
        reset: () => deleteKeysWithPrefix(redis, prefix),
        close: async () => {
          await deleteKeysWithPrefix(redis, prefix);
          await redis.quit();
          await releaseRedisCluster();
        },
      };
    });

    describe('oidc redis adapter: what spans slots', () => {
      let redis: Cluster;
      before(async () => {
        redis = await connect();
      });
      after(async () => {
        await deleteKeysWithPrefix(redis, prefix);
        await redis.quit();
        await releaseRedisCluster();
      });

      it('spreads entries over every master (hash tags per entry, not one tag for all)', async () => {
        const tokens = createRedisAdapterFactory(redis, { prefix })('AccessToken');
        for (let i = 0; i < 30; i++) {
          const id = randomUUID();
          await tokens.upsert(id, { jti: id, grantId: randomUUID() }, 60);
        }
        const perMaster = await Promise.all(redis.nodes('master').map(async (node) => (await node.keys(`${prefix}AccessToken:*`)).length));
        assert.equal(perMaster.length, 3);
        assert.ok(perMaster.every((n) => n > 0), `entries per master: ${perMaster.join(', ')}`);
      });

      it('an entry written while its grant is revoked does not survive it (the write lands after the revocation)', async () => {
        // The worst interleaving, forced: the entry joins its grant's index, the revocation then runs
        // completely (takes the index, deletes what it lists: the entry is not written yet), and
        // only then does the entry's own write land, in another slot.
        let open!: () => void;
        const gate = new Promise<void>((resolve) => (open = resolve));
        const delayed = new Proxy(redis, {
          get(target, property) {
            if (property === 'gatehouseOidcUpsert') {
              return async (...args: unknown[]) => {
                await gate;
                return (target as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>).gatehouseOidcUpsert(...args);
              };
            }
            const value = Reflect.get(target, property);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        });
        const writer = createRedisAdapterFactory(delayed, { prefix })('RefreshToken');
        const revoker = createRedisAdapterFactory(redis, { prefix })('RefreshToken');
        const grantId = randomUUID();
        const id = randomUUID();
        const writing = writer.upsert(id, { jti: id, grantId }, 60);
        // The grant index has the entry before the revocation starts.
        const grantKey = `${prefix}grant:{${grantId}}`;
        for (let i = 0; i < 100 && !(await redis.sismember(grantKey, `${prefix}RefreshToken:{${id}}`)); i++) await new Promise((r) => setTimeout(r, 10));
        assert.equal(await redis.sismember(grantKey, `${prefix}RefreshToken:{${id}}`), 1);
        await revoker.revokeByGrantId(grantId);
        open();
        await writing;
        assert.equal(await revoker.find(id), undefined, 'the revoked grant left a usable refresh token behind');
      });
    });
  });
}
