// oidc-provider Adapter over a standalone Redis (>= 7: EXPIRE NX/GT). Key layout, under `prefix`:
//   <model>:<id>            hash { payload: <JSON as given>, consumed?: <epoch seconds> }, TTL = expiresIn
//   grant:<grantId>         set of entry keys of that grant, TTL = the longest member's
//   uid:<model>:<uid>       entry id (Session lookups by uid), same TTL as the entry
//   userCode:<model>:<code> entry id (device flow lookups), same TTL as the entry
// The entry is a hash rather than a JSON string so consume() can flag it atomically (HSETNX)
// without re-encoding the payload in Lua: cjson would turn [] into {} and round large numbers.
// Entries cannot be hash-tagged by grant (find(id) does not know the grant), so MULTI and the
// scripts assume one node, not Redis Cluster. Redis errors propagate: the adapter fails closed.
import type { ChainableCommander, Redis } from 'ioredis';
import { errors, type AdapterPayload } from 'oidc-provider';
import type { StateAdapter } from './state-adapter.ts';

// Models indexed under their grant, as in oidc-provider's memory adapter (an Interaction also
// carries a grantId, but revoking a grant must not delete an in-flight interaction).
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

// Flags an existing entry consumed unless it already is; HSETNX leaves the key's TTL alone.
const CONSUME_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], 'consumed', ARGV[1])
`;

// Deletes the grant's entries and the set in one step, so no member can be added in between.
const REVOKE_LUA = `
local members = redis.call('SMEMBERS', KEYS[1])
for i = 1, #members, 500 do
  redis.call('DEL', unpack(members, i, math.min(i + 499, #members)))
end
redis.call('DEL', KEYS[1])
return #members
`;

// An entry without indexes (client-credentials and other standalone tokens) in one command
// instead of a five-command MULTI: same effect, atomic, and a fifth of the round-trip work.
const UPSERT_LUA = `
redis.call('DEL', KEYS[1])
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[1], 'payload', ARGV[1], 'consumed', ARGV[2])
else
  redis.call('HSET', KEYS[1], 'payload', ARGV[1])
end
if ARGV[3] ~= '' then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return 1
`;

type ScriptedRedis = Redis & {
  gatehouseOidcUpsert(key: string, payload: string, consumed: string, ttl: string): Promise<number>;
  gatehouseOidcConsume(key: string, consumedAt: number): Promise<number>;
  gatehouseOidcRevoke(grantKey: string): Promise<number>;
};

export type RedisAdapterOptions = {
  /** Prepended to every key, e.g. 'gatehouse:oidc:'. Default 'oidc:'. */
  prefix?: string;
};

/**
 * The oidc-provider Adapter contract, plus `tryConsume` (true when this call consumed the
 * entry). `consume` resolves only when this call consumed the entry and rejects otherwise; it
 * cannot resolve a boolean, since the provider's Adapter type wants Promise<void>, and the
 * provider ignores the value anyway (see `consume` below).
 */
export type RedisAdapter = StateAdapter<AdapterPayload>;

export function createRedisAdapterFactory(
  redis: Redis,
  options: RedisAdapterOptions = {},
): (model: string) => RedisAdapter {
  const prefix = options.prefix ?? 'oidc:';
  // defineCommand sends EVALSHA and falls back to EVAL once per script cache miss.
  redis.defineCommand('gatehouseOidcUpsert', { numberOfKeys: 1, lua: UPSERT_LUA });
  redis.defineCommand('gatehouseOidcConsume', { numberOfKeys: 1, lua: CONSUME_LUA });
  redis.defineCommand('gatehouseOidcRevoke', { numberOfKeys: 1, lua: REVOKE_LUA });
  return (model) => new OidcRedisAdapter(redis as ScriptedRedis, prefix, model);
}

class OidcRedisAdapter implements RedisAdapter {
  readonly redis: ScriptedRedis;
  readonly prefix: string;
  readonly model: string;

  constructor(redis: ScriptedRedis, prefix: string, model: string) {
    this.redis = redis;
    this.prefix = prefix;
    this.model = model;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const key = this.key(id);
    const ttl = typeof expiresIn === 'number' ? Math.max(1, Math.ceil(expiresIn)) : undefined;
    const fields: Record<string, string> = { payload: JSON.stringify(payload) };
    // A re-saved payload that already says consumed stays consumed; anything else resets it.
    if (payload.consumed) {
      fields.consumed = String(typeof payload.consumed === 'number' ? payload.consumed : epochSeconds());
    }

    const { grantId, uid, userCode } = payload;
    if (!(grantId && GRANTABLE.has(this.model)) && !uid && !userCode) {
      await this.redis.gatehouseOidcUpsert(key, fields.payload, fields.consumed ?? '', ttl ? String(ttl) : '');
      return;
    }

    // One MULTI: a single round trip, and readers never see the entry without its TTL.
    const multi = this.redis.multi().del(key).hset(key, fields);
    if (ttl) multi.expire(key, ttl);

    if (grantId && GRANTABLE.has(this.model)) {
      const grantKey = this.grantKey(grantId);
      multi.sadd(grantKey, key);
      if (ttl) {
        // NX gives a new set its first TTL; GT only ever extends it, so the set lives as long
        // as its longest-lived member. (Grantable tokens always come with an expiresIn.)
        multi.expire(grantKey, ttl, 'NX').expire(grantKey, ttl, 'GT');
      } else {
        multi.persist(grantKey);
      }
    }
    if (uid) setIndex(multi, this.indexKey('uid', uid), id, ttl);
    if (userCode) setIndex(multi, this.indexKey('userCode', userCode), id, ttl);

    await execOrThrow(multi);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const [json, consumed] = await this.redis.hmget(this.key(id), 'payload', 'consumed');
    if (json === null) return undefined;
    const payload: AdapterPayload = JSON.parse(json);
    if (consumed !== null) payload.consumed = Number(consumed);
    return payload;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const payload = await this.findByIndex('uid', uid);
    // The index may be stale (entry re-saved under another uid); trust only a matching entry.
    return payload?.uid === uid ? payload : undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const payload = await this.findByIndex('userCode', userCode);
    return payload?.userCode === userCode ? payload : undefined;
  }

  /**
   * oidc-provider's grants (authorization_code, refresh_token rotation, device_code, CIBA,
   * pre-authorized_code; PAR at the authorization endpoint) find the entry, check `consumed`,
   * then `await adapter.consume(id)` BEFORE issuing tokens, and ignore its return value. Two
   * parallel redemptions can both pass the `consumed` check, so the only way to stop the
   * second one is for consume to throw: the loser gets invalid_grant (invalid_request_uri for
   * PAR) instead of tokens. The guarantee is "at most one consume() per id ever resolves".
   * Unlike a sequential replay, the losing request does not revoke the grant: the provider's
   * revoke() (with its revokeGrantPolicy) is not reachable from here.
   */
  async consume(id: string): Promise<void> {
    if (!(await this.tryConsume(id))) throw alreadyConsumed(this.model);
  }

  /** Atomically marks an existing, unconsumed entry consumed; true when this call did it. */
  async tryConsume(id: string): Promise<boolean> {
    return (await this.redis.gatehouseOidcConsume(this.key(id), epochSeconds())) === 1;
  }

  async destroy(id: string): Promise<void> {
    // Keeps this one DEL: the indexes expire with the entry, and a lookup through an index
    // whose entry is gone finds nothing (grant set members likewise just fail to DEL).
    await this.redis.del(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.redis.gatehouseOidcRevoke(this.grantKey(grantId));
  }

  private key(id: string): string {
    return `${this.prefix}${this.model}:${id}`;
  }

  private grantKey(grantId: string): string {
    return `${this.prefix}grant:${grantId}`;
  }

  private indexKey(kind: 'uid' | 'userCode', value: string): string {
    return `${this.prefix}${kind}:${this.model}:${value}`;
  }

  private async findByIndex(kind: 'uid' | 'userCode', value: string): Promise<AdapterPayload | undefined> {
    const id = await this.redis.get(this.indexKey(kind, value));
    return id === null ? undefined : this.find(id);
  }
}

function setIndex(multi: ChainableCommander, key: string, id: string, ttl: number | undefined): void {
  if (ttl) multi.set(key, id, 'EX', ttl);
  else multi.set(key, id);
}

/** EXEC reports a failed command inside the transaction as a result, not a rejection. */
async function execOrThrow(multi: ChainableCommander): Promise<void> {
  const results = await multi.exec();
  if (results === null) throw new Error('redis transaction aborted');
  for (const [err] of results) if (err) throw err;
}

function epochSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function alreadyConsumed(model: string): Error {
  if (model === 'PushedAuthorizationRequest') {
    return new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used');
  }
  // "AuthorizationCode" -> "authorization code", as in the provider's own replay messages.
  return new errors.InvalidGrant(`${model.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()} already consumed`);
}
