// The rate-limit store the throttle policy (accounts/throttle.ts) counts in. Counters live in fixed
// windows that start with their first hit; a hold is a key that says "wait" until it expires.
// adapters/rate-limit-store.ts implements it on Redis (production) and on SQL (embedded default).

export type Counter = { count: number; resetInMs: number };

export type RateLimiter = {
  /** Adds `n` to the key's count in its window (atomic); returns the new count. */
  add(key: string, n?: number): Promise<Counter>;
  /** The key's count in its current window, or undefined when it has none. */
  get(key: string): Promise<Counter | undefined>;
  /** Sets the key's count to `count` for exactly `seconds` from now (a wait, a lockout). */
  set(key: string, count: number, seconds: number): Promise<void>;
  delete(key: string): Promise<void>;
};

export type RateLimitStore = {
  /** One named set of counters with a window; the name keeps sets apart in the store. */
  limiter(name: string, windowSeconds: number): RateLimiter;
  /** Several limiters' get() in one round trip, same answers in the same order (absent: one get each). */
  getMany?(reads: readonly (readonly [RateLimiter, string])[]): Promise<(Counter | undefined)[]>;
  /** Several limiters' delete() in one round trip (absent: one delete each). */
  deleteMany?(keys: readonly (readonly [RateLimiter, string])[]): Promise<void>;
};

/** get() of each (limiter, key), in one round trip when the store can. */
export function getAll(store: RateLimitStore, reads: readonly (readonly [RateLimiter, string])[]): Promise<(Counter | undefined)[]> {
  return store.getMany ? store.getMany(reads) : Promise.all(reads.map(([limiter, key]) => limiter.get(key)));
}

/** delete() of each (limiter, key), in one round trip when the store can. */
export async function deleteAll(store: RateLimitStore, keys: readonly (readonly [RateLimiter, string])[]): Promise<void> {
  if (store.deleteMany) await store.deleteMany(keys);
  else await Promise.all(keys.map(([limiter, key]) => limiter.delete(key)));
}
