// Provider signing keys: RS256 (what clients default to) and ES256, generated on first start,
// rotated by `gatehouse keys rotate`. Retired keys stay published until their tokens expire.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { SigningKeyStore } from '../adapters/signing-key-store.ts';
import { openRedis, redisReady, type RedisTarget } from '../adapters/redis-connection.ts';
import { RETIRED_KEY_GRACE_SECONDS } from '../accounts/security-constants.ts';

const ALGORITHMS = ['RS256', 'ES256'] as const;

function generateKey(alg: (typeof ALGORITHMS)[number]) {
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = randomUUID();
  return { kid, alg, jwk: { ...pair.privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' } };
}

/** Adds a fresh RS256 + ES256 pair; the previous ones become verification-only. */
export async function rotateSigningKeys(store: SigningKeyStore) {
  const keys = ALGORITHMS.map(generateKey);
  await store.addAndRetirePrevious(keys);
  return keys.map(({ kid, alg }) => ({ kid, alg }));
}

/**
 * The private JWKs the provider loads: active keys first (oidc-provider signs with the first key
 * of an algorithm), then retired keys still inside their grace period, for verification.
 */
export async function loadSigningKeys(store: SigningKeyStore, now = new Date()) {
  let keys = await store.list();
  if (!ALGORITHMS.every((alg) => keys.some((k) => k.alg === alg && !k.retiredAt))) {
    await rotateSigningKeys(store);
    keys = await store.list();
  }
  const graceMs = RETIRED_KEY_GRACE_SECONDS * 1000;
  const active = keys.filter((k) => !k.retiredAt);
  const retired = keys.filter((k) => k.retiredAt && now.getTime() - k.retiredAt.getTime() < graceMs);
  return [...active, ...retired].map((k) => k.jwk);
}

/** Every process re-reads the key store this often, so a rotation reaches it within a minute even if a Redis message is lost. */
export const KEY_CHECK_INTERVAL_MS = 30_000;

/** Redis channel on which a process that rotated keys tells the others to re-read them. */
export const SIGNING_KEYS_CHANNEL = 'gatehouse:signing-keys:changed';

type Channel = { publish(message: string): Promise<void>; stop(): Promise<void> };

/**
 * Keeps a running process's signing keys current: re-reads them on a Redis announcement and every
 * `intervalMs`, and rotates them when the active ones are `rotationDays` old (one process does it;
 * see rotateIfOlderThan). `apply` gets the new private JWKs, active first.
 */
export async function watchSigningKeys(options: {
  store: SigningKeyStore;
  initial: Record<string, unknown>[];
  apply: (jwks: Record<string, unknown>[]) => void;
  rotationDays: number;
  intervalMs?: number;
  /** Subscribes to SIGNING_KEYS_CHANNEL; undefined without Redis (one process). */
  subscribe?: (onMessage: () => void) => Promise<Channel>;
  onError: (err: unknown) => void;
  onReload: (kids: string[]) => void;
}) {
  const fingerprint = (jwks: Record<string, unknown>[]) => jwks.map((k) => k.kid).join(',');
  let current = fingerprint(options.initial);
  let queue: Promise<unknown> = Promise.resolve();

  /** Re-reads the key store; true when the keys changed (and were applied). Calls run one after another, each reading afresh. */
  const reload = (): Promise<boolean> => {
    const run = queue.then(async () => {
      const jwks = await loadSigningKeys(options.store);
      const next = fingerprint(jwks);
      if (next === current) return false;
      options.apply(jwks);
      current = next;
      options.onReload(jwks.map((k) => String(k.kid)));
      return true;
    });
    queue = run.catch(() => {});
    return run;
  };

  const channel = await options.subscribe?.(() => void reload().catch(options.onError));

  /** The periodic step: scheduled rotation (announced to the others), then a re-read. */
  const check = async () => {
    if (await options.store.rotateIfOlderThan(options.rotationDays, () => ALGORITHMS.map(generateKey))) await channel?.publish('rotated');
    return reload();
  };
  const timer = setInterval(() => void check().catch(options.onError), options.intervalMs ?? KEY_CHECK_INTERVAL_MS);
  timer.unref();

  return {
    reload,
    check,
    /** After this process rotated (CLI, control channel): re-read here and tell the others. */
    async announce() {
      await reload();
      await channel?.publish('rotated');
    },
    async stop() {
      clearInterval(timer);
      await channel?.stop();
    },
  };
}

/**
 * For a process outside the servers (the CLI): tells running servers through Redis to re-read
 * their keys. False without Redis, or when it is unreachable (they re-read within KEY_CHECK_INTERVAL_MS anyway).
 */
export async function announceKeyRotation(target: RedisTarget): Promise<boolean> {
  const redis = openRedis(target);
  if (!redis) return false;
  redis.on('error', () => {});
  try {
    if (!(await redisReady(redis, 3000))) return false;
    await redis.publish(SIGNING_KEYS_CHANNEL, 'rotated');
    return true;
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}
