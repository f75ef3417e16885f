// A per-process cache of client registrations in front of the oidc_clients table. Entries expire
// after CLIENT_CACHE_TTL_SECONDS; a change made by any Gatehouse process evicts the entry in every
// process at once through Redis pub/sub (when Redis is configured; without it there is one process).
import { subscribe, type RedisClient } from './redis-connection.ts';
import type { ClientMetadata } from './client-store.ts';

/** Bounds memory even if many distinct client ids are looked up. */
const MAX_ENTRIES = 10_000;
const CHANNEL = 'gatehouse:clients:changed';

export function createClientCache(load: (clientId: string) => Promise<ClientMetadata | undefined>, ttlSeconds: number) {
  const entries = new Map<string, { metadata: ClientMetadata; expires: number }>();
  /** The cached registration if it is fresh, without waiting: the token endpoint's hot path. */
  const peek = (clientId: string): ClientMetadata | undefined => {
    const hit = entries.get(clientId);
    return hit && hit.expires > Date.now() ? hit.metadata : undefined;
  };
  return {
    peek,
    async find(clientId: string): Promise<ClientMetadata | undefined> {
      const fresh = peek(clientId);
      if (fresh) return fresh;
      const metadata = await load(clientId);
      // Unknown ids are not cached: a client registered a moment later must work at once.
      if (metadata) {
        if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
        entries.set(clientId, { metadata, expires: Date.now() + ttlSeconds * 1000 });
      } else {
        entries.delete(clientId);
      }
      return metadata;
    },
    invalidate(clientId: string) {
      entries.delete(clientId);
    },
  };
}

export type ClientCache = ReturnType<typeof createClientCache>;

/** Tells every running process to evict a changed client (writers outside a server: the CLI). */
export async function announceClientChange(redis: RedisClient, clientId: string) {
  await redis.publish(CHANNEL, clientId);
}

/** Every process evicts a changed client; returns `announce(clientId)` for writers and a `stop()`. */
export async function shareClientInvalidations(redis: RedisClient | undefined, cache: ClientCache) {
  if (!redis) return { announce: (clientId: string) => cache.invalidate(clientId), stop: async () => {} };
  const channel = await subscribe(redis, CHANNEL, (clientId) => cache.invalidate(clientId));
  return {
    announce(clientId: string) {
      cache.invalidate(clientId);
      void channel.publish(clientId);
    },
    stop: channel.stop,
  };
}
