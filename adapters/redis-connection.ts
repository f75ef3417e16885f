// The one place Redis connections are made: a standalone server (REDIS_URL) or a Redis Cluster
// (REDIS_CLUSTER seed nodes). Redis is a database here, not a cache, and a request must never wait
// on it longer than a person would: a stopped Redis fails commands at once (no offline queue), a
// frozen or overloaded one fails them after REDIS_COMMAND_TIMEOUT_MS, and the request answers 503
// (server/error-handler.ts). ioredis keeps reconnecting, so recovery needs no restart.
import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** A healthy Redis answers in well under a millisecond; 2 s is an outage, not load. */
export const REDIS_COMMAND_TIMEOUT_MS = 2000;
/** A TCP connect that has not completed in 2 s will not; ioredis retries in the background. */
export const REDIS_CONNECT_TIMEOUT_MS = 2000;

export type RedisClient = Redis | Cluster;

export type RedisTarget = { redisUrl?: string; redisCluster?: string[] };

const COMMAND_OPTIONS = {
  maxRetriesPerRequest: 1,
  commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
  connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
  // Reconnect quickly after an outage (capped at 1 s between tries), so service resumes by itself.
  retryStrategy: (times: number) => Math.min(times * 100, 1000),
  // Commands issued in the same tick (concurrent token requests each saving a token) leave in one
  // socket write and their replies arrive in one read: fewer system calls per request under load.
  enableAutoPipelining: true,
} satisfies RedisOptions;

/** `queueWhileConnecting`: for one-shot tools (the CLI) that send at once instead of waiting for ready. */
export function openRedis(target: RedisTarget, options: { queueWhileConnecting?: boolean } = {}): RedisClient | undefined {
  const queue = options.queueWhileConnecting ?? false;
  if (target.redisCluster?.length) {
    const first = new URL(target.redisCluster[0]);
    return new Cluster(
      target.redisCluster.map((seed) => {
        const url = new URL(seed);
        return { host: url.hostname, port: Number(url.port || 6379) };
      }),
      {
        enableOfflineQueue: queue,
        enableAutoPipelining: COMMAND_OPTIONS.enableAutoPipelining,
        // Cluster-wide: a node that went away is looked up again as quickly as a standalone one reconnects.
        clusterRetryStrategy: COMMAND_OPTIONS.retryStrategy,
        redisOptions: {
          maxRetriesPerRequest: COMMAND_OPTIONS.maxRetriesPerRequest,
          commandTimeout: COMMAND_OPTIONS.commandTimeout,
          connectTimeout: COMMAND_OPTIONS.connectTimeout,
          username: first.username ? decodeURIComponent(first.username) : undefined,
          password: first.password ? decodeURIComponent(first.password) : undefined,
          tls: first.protocol === 'rediss:' ? {} : undefined,
        },
      },
    );
  }
  return target.redisUrl ? new Redis(target.redisUrl, { ...COMMAND_OPTIONS, enableOfflineQueue: queue }) : undefined;
}

export function isCluster(redis: RedisClient): redis is Cluster {
  return redis instanceof Cluster;
}

/**
 * A second connection for SUBSCRIBE (a subscribed connection can run nothing else). It queues
 * while disconnected, so a subscription made during an outage is made when Redis is back.
 * On a cluster, PUBLISH reaches every node, so subscribing on any one of them hears everything.
 */
export function subscriberFor(redis: RedisClient): RedisClient {
  if (isCluster(redis)) return redis.duplicate(undefined, { enableOfflineQueue: true });
  return redis.duplicate({ enableOfflineQueue: true });
}

/** Resolves true once connected, false after `waitMs` (the caller decides what an outage means). */
export function redisReady(redis: RedisClient, waitMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return Promise.race([
    new Promise<boolean>((resolve) => redis.once('ready', () => resolve(true))),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), waitMs).unref()),
  ]);
}

/**
 * Fire-and-forget announcements between Gatehouse processes (client changed, signing keys
 * changed): `publish` to everyone, `stop` to leave. Messages are hints to re-read the database,
 * so a lost one only delays what a periodic check also catches.
 */
export async function subscribe(redis: RedisClient, channel: string, onMessage: (message: string) => void) {
  const subscriber = subscriberFor(redis);
  subscriber.on('error', () => {}); // the main connection reports Redis outages
  subscriber.on('message', (received: string, message: string) => {
    if (received === channel) onMessage(message);
  });
  await subscriber.subscribe(channel).catch(() => {});
  return {
    publish: (message: string) => redis.publish(channel, message).then(() => undefined, () => undefined),
    stop: async () => {
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}

/** Deletes every key under `prefix` (tests and benchmarks; never a production path). On a cluster, on every master. */
export async function deleteKeysWithPrefix(redis: RedisClient, prefix: string): Promise<void> {
  const nodes = isCluster(redis) ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      // One DEL per key: on a cluster the keys of one batch live in different slots.
      await Promise.all(keys.map((key) => (isCluster(redis) ? redis.del(key) : node.del(key))));
      cursor = next;
    } while (cursor !== '0');
  }
}
