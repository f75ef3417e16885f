// What the CLI needs of the provider's state when it opens the store itself (no server holds it):
// the state adapter (Redis or SQL, as the server uses) to revoke a deleted app's grants, and the
// cache-eviction broadcast so running servers drop a changed client at once.
import type { Knex } from 'knex';
import { openRedis, type RedisTarget } from './redis-connection.ts';
import { announceClientChange } from './client-cache.ts';
import { createRedisAdapterFactory } from './oidc-redis-adapter.ts';
import { createSqlAdapterFactory } from './oidc-sql-adapter.ts';
import type { StateAdapterFactory } from './state-adapter.ts';

export function openCliProviderState(knex: Knex, target: RedisTarget) {
  const redis = openRedis(target, { queueWhileConnecting: true });
  redis?.on('error', () => {});
  const stateAdapter = (redis ? createRedisAdapterFactory(redis) : createSqlAdapterFactory(knex)) as unknown as StateAdapterFactory;
  return {
    stateAdapter,
    announce: async (clientId: string) => {
      if (redis) await announceClientChange(redis, clientId);
    },
    close: async () => {
      await redis?.quit().catch(() => redis.disconnect());
    },
  };
}
