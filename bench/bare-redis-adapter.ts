// The smallest Redis adapter a developer would give oidc-provider (its Adapter interface, nothing of
// Gatehouse's): one JSON string per entry with its TTL, a set per grant for revocation, an index key per
// uid and user code, a separate key marking consumption. The bare provider on it (BARE_REDIS_URL) is
// the baseline "doing the same" as Gatehouse on Redis: it pays for a real store too, so Gatehouse's own
// overhead can be told from the store's. ioredis with Gatehouse's auto-pipelining (commands of one turn
// leave in one write) but not its command timeout: that timer per command is Gatehouse's fail-closed cost.
import { Redis } from 'ioredis';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { deleteKeysWithPrefix } from '../adapters/redis-connection.ts';

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);
const CONSUMABLE = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);
/** How long a consumption mark outlives its entry at most: the longest lifetime the bare provider gives (refresh tokens, 14 days). */
const CONSUMED_MARK_SECONDS = 14 * 24 * 3600;

export function bareRedisAdapter(url: string, prefix = `bare-${process.pid}:`): { Adapter: new (name: string) => Adapter; drop(): Promise<void> } {
  const redis = new Redis(url, { enableAutoPipelining: true, maxRetriesPerRequest: 1 });
  const grantKey = (grantId: string) => `${prefix}grant:${grantId}`;
  /** Deletes every key this process wrote (its refresh tokens would otherwise stay 14 days) and closes the client. */
  async function drop() {
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  }

  const BareRedisAdapter = class implements Adapter {
    private readonly name: string;
    private readonly consumable: boolean;
    constructor(name: string) {
      this.name = name;
      this.consumable = CONSUMABLE.has(name);
    }

    private key(id: string) {
      return `${prefix}${this.name}:${id}`;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number) {
      const key = this.key(id);
      const writes: Promise<unknown>[] = [expiresIn ? redis.set(key, JSON.stringify(payload), 'EX', expiresIn) : redis.set(key, JSON.stringify(payload))];
      if (payload.grantId && GRANTABLE.has(this.name)) {
        writes.push(redis.sadd(grantKey(payload.grantId), key));
        if (expiresIn) writes.push(redis.expire(grantKey(payload.grantId), expiresIn));
      }
      if (payload.uid) writes.push(redis.set(`${prefix}uid:${payload.uid}`, id, 'EX', expiresIn));
      if (payload.userCode) writes.push(redis.set(`${prefix}userCode:${payload.userCode}`, id, 'EX', expiresIn));
      await Promise.all(writes);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const key = this.key(id);
      if (!this.consumable) {
        const json = await redis.get(key);
        return json ? (JSON.parse(json) as AdapterPayload) : undefined;
      }
      const [json, consumed] = await redis.mget(key, `${key}:consumed`);
      if (!json) return undefined;
      const payload = JSON.parse(json) as AdapterPayload;
      if (consumed) payload.consumed = Number(consumed);
      return payload;
    }

    async findByUid(uid: string) {
      const id = await redis.get(`${prefix}uid:${uid}`);
      return id ? this.find(id) : undefined;
    }

    async findByUserCode(userCode: string) {
      const id = await redis.get(`${prefix}userCode:${userCode}`);
      return id ? this.find(id) : undefined;
    }

    async consume(id: string) {
      await redis.set(`${this.key(id)}:consumed`, Math.floor(Date.now() / 1000), 'EX', CONSUMED_MARK_SECONDS);
    }

    async destroy(id: string) {
      await redis.del(this.key(id), `${this.key(id)}:consumed`);
    }

    async revokeByGrantId(grantId: string) {
      const keys = await redis.smembers(grantKey(grantId));
      await redis.del(grantKey(grantId), ...keys, ...keys.map((key) => `${key}:consumed`));
    }
  };
  return { Adapter: BareRedisAdapter, drop };
}
