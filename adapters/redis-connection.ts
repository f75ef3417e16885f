// The one Redis connection's settings. Redis is a database here, not a cache, and a request must
// never wait on it longer than a person would: a stopped Redis fails commands at once (no offline
// queue), a frozen or overloaded one fails them after REDIS_COMMAND_TIMEOUT_MS, and the request
// answers 503 (server/error-handler.ts). ioredis keeps reconnecting, so recovery needs no restart.
import { Redis } from 'ioredis';

/** A healthy Redis answers in well under a millisecond; 2 s is an outage, not load. */
export const REDIS_COMMAND_TIMEOUT_MS = 2000;
/** A TCP connect that has not completed in 2 s will not; ioredis retries in the background. */
export const REDIS_CONNECT_TIMEOUT_MS = 2000;

export function openRedis(url: string): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    // Reconnect quickly after an outage (capped at 1 s between tries), so service resumes by itself.
    retryStrategy: (times) => Math.min(times * 100, 1000),
  });
}
