// oidc-provider Adapter over Redis (>= 7: EXPIRE NX/GT), standalone or Redis Cluster. Key layout,
// under `prefix` (on a cluster each key's hash tag is the part in braces):
//   <model>:<id>             / <model>:{<id>}             hash { payload: <JSON as given>, consumed?: <epoch seconds> }, TTL = expiresIn
//   grant:<grantId>          / grant:{<grantId>}          set of entry keys of that grant, TTL = the longest member's
//                              grant:{<grantId>}:gen      cluster only: revocation counter of the grant (see below)
//   uid:<model>:<uid>        / uid:<model>:{<uid>}        entry id (Session lookups by uid), same TTL as the entry
//   userCode:<model>:<code>  / userCode:<model>:{<code>}  entry id (device flow lookups), same TTL as the entry
// The entry is a hash rather than a JSON string so consume() can flag it atomically (HSETNX)
// without re-encoding the payload in Lua: cjson would turn [] into {} and round large numbers.
//
// Standalone, one script writes an entry with all its indexes and one script revokes a grant.
// On a cluster a transaction or script can only touch one slot, and an entry cannot share its
// grant's slot (find(id) knows only the id, findByUid only the uid), so each slot's part is atomic
// on its own: the entry with its TTL (one script on the entry key), consume (one script on the
// entry key), the grant's set with its revocation counter (one script under the grant's tag). What
// spans slots is ordered so a race leaves nothing usable behind: an index is only trusted when the
// entry it names agrees (findByUid/findByUserCode check), and an entry written while its grant
// was being revoked is deleted by its writer (upsert compares the grant's counter before and after).
// Redis errors propagate: the adapter fails closed.
import { errors, type AdapterPayload } from 'oidc-provider';
import type { StateAdapter } from './state-adapter.ts';
import { isCluster, type RedisClient } from './redis-connection.ts';

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

// An entry with its TTL and, standalone, its indexes in one command (atomic, one round trip, and a
// fraction of a MULTI's commands: a rotating refresh grant saved two five-command MULTIs).
// KEYS[1]: the entry; KEYS[i + 1]: the index that ARGV[4]'s i-th letter names: 'g' the grant's set
// (the entry's key is added; NX gives a new set its first TTL, GT only ever extends it, so the set
// lives as long as its longest-lived member), 'i' an id index (uid, userCode) holding ARGV[5].
// ARGV: payload, consumed ('' = not), TTL in seconds ('' = none), index letters, entry id.
const UPSERT_LUA = `
local ttl = ARGV[3]
redis.call('DEL', KEYS[1])
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[1], 'payload', ARGV[1], 'consumed', ARGV[2])
else
  redis.call('HSET', KEYS[1], 'payload', ARGV[1])
end
if ttl ~= '' then redis.call('EXPIRE', KEYS[1], ttl) end
for i = 1, #ARGV[4] do
  local key = KEYS[i + 1]
  if string.sub(ARGV[4], i, i) == 'g' then
    redis.call('SADD', key, KEYS[1])
    if ttl ~= '' then
      redis.call('EXPIRE', key, ttl, 'NX')
      redis.call('EXPIRE', key, ttl, 'GT')
    else
      redis.call('PERSIST', key)
    end
  elseif ttl ~= '' then
    redis.call('SET', key, ARGV[5], 'EX', ttl)
  else
    redis.call('SET', key, ARGV[5])
  end
end
return 1
`;

// Standalone: a grant's token (refresh token, code, access token) and the grant it names, in one read.
// The provider reads the grant right after the token (validateGrant), so the second round trip goes.
// The grant's key is built here from the payload's grantId (standalone Redis allows undeclared keys).
// KEYS[1]: the token's entry; ARGV[1]: the Grant model's key prefix. Returns payload, consumed, and
// when the payload names a grant: its id, payload, consumed (Lua false = nil: a missing field).
const FIND_WITH_GRANT_LUA = `
local entry = redis.call('HMGET', KEYS[1], 'payload', 'consumed')
if not entry[1] then return {} end
local ok, decoded = pcall(cjson.decode, entry[1])
local grantId = ok and type(decoded) == 'table' and decoded.grantId
if type(grantId) ~= 'string' then return {entry[1], entry[2]} end
local grant = redis.call('HMGET', ARGV[1] .. grantId, 'payload', 'consumed')
return {entry[1], entry[2], grantId, grant[1], grant[2]}
`;

// Cluster: adds an entry key to its grant's set (TTL as above) and returns the grant's revocation
// counter, read in the same step. KEYS: grant set, counter; ARGV: entry key, TTL (0 = none).
const GRANT_ADD_LUA = `
redis.call('SADD', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if ttl > 0 then
  redis.call('EXPIRE', KEYS[1], ttl, 'NX')
  redis.call('EXPIRE', KEYS[1], ttl, 'GT')
else
  redis.call('PERSIST', KEYS[1])
end
return redis.call('GET', KEYS[2])
`;

// Cluster: takes the grant's set away and bumps its revocation counter in one step; returns the
// members for the caller to delete (they live in other slots). KEYS: grant set, counter; ARGV: counter TTL.
const GRANT_REVOKE_LUA = `
local members = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return members
`;

/** The counter must outlive any upsert racing the revocation (milliseconds in practice); an hour is ample and costs a few bytes. */
const REVOCATION_COUNTER_TTL_SECONDS = 3600;

type ScriptedRedis = RedisClient & {
  /** numberOfKeys, the entry key, one key per index letter, then payload, consumed, ttl, index letters, id. */
  gatehouseOidcUpsert(numberOfKeys: number, ...keysAndArgs: string[]): Promise<number>;
  /** The entry key, then payload, consumed, ttl, '' (no index letters), id. */
  gatehouseOidcUpsertEntry(key: string, ...args: string[]): Promise<number>;
  gatehouseOidcConsume(key: string, consumedAt: number): Promise<number>;
  gatehouseOidcFindWithGrant(key: string, grantKeyPrefix: string): Promise<(string | null)[]>;
  gatehouseOidcRevoke(grantKey: string): Promise<number>;
  gatehouseOidcGrantAdd(grantKey: string, counterKey: string, entryKey: string, ttl: number): Promise<string | null>;
  gatehouseOidcGrantRevoke(grantKey: string, counterKey: string, counterTtl: number): Promise<string[]>;
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
  redis: RedisClient,
  options: RedisAdapterOptions = {},
): (model: string) => RedisAdapter {
  const prefix = options.prefix ?? 'oidc:';
  // defineCommand sends EVALSHA and falls back to EVAL once per script cache miss.
  // No numberOfKeys: standalone, the caller says how many keys (the entry and its indexes) it passes.
  // A cluster's auto-pipeline picks the slot from the first argument, so there the same script is
  // called with its one key first (the entry alone).
  redis.defineCommand('gatehouseOidcUpsert', { lua: UPSERT_LUA });
  redis.defineCommand('gatehouseOidcUpsertEntry', { numberOfKeys: 1, lua: UPSERT_LUA });
  redis.defineCommand('gatehouseOidcConsume', { numberOfKeys: 1, lua: CONSUME_LUA });
  redis.defineCommand('gatehouseOidcFindWithGrant', { numberOfKeys: 1, lua: FIND_WITH_GRANT_LUA });
  redis.defineCommand('gatehouseOidcRevoke', { numberOfKeys: 1, lua: REVOKE_LUA });
  redis.defineCommand('gatehouseOidcGrantAdd', { numberOfKeys: 2, lua: GRANT_ADD_LUA });
  redis.defineCommand('gatehouseOidcGrantRevoke', { numberOfKeys: 2, lua: GRANT_REVOKE_LUA });
  const cluster = isCluster(redis);
  const grantReads = new GrantReads();
  return (model) => new OidcRedisAdapter(redis as ScriptedRedis, prefix, model, cluster, grantReads);
}

type Entry = [json: string | null, consumed: string | null];

/**
 * Grants read together with one of their tokens (FIND_WITH_GRANT_LUA), for the Grant.find that follows
 * in the same turn of the event loop. Each is taken once, and all are dropped when the turn ends
 * (setImmediate), so an answer is never older than the token read it came with; this process's own
 * writes to a grant drop it at once.
 */
class GrantReads {
  private readonly entries = new Map<string, Entry>();
  private sweeping = false;

  put(grantId: string, entry: Entry): void {
    this.entries.set(grantId, entry);
    if (this.sweeping) return;
    this.sweeping = true;
    setImmediate(() => {
      this.entries.clear();
      this.sweeping = false;
    });
  }

  take(grantId: string): Entry | undefined {
    const entry = this.entries.get(grantId);
    if (entry) this.entries.delete(grantId);
    return entry;
  }

  drop(grantId: string): void {
    this.entries.delete(grantId);
  }
}

class OidcRedisAdapter implements RedisAdapter {
  readonly redis: ScriptedRedis;
  readonly prefix: string;
  readonly model: string;
  /** Redis Cluster: hash-tagged keys, one slot per transaction or script (see the top of the file). */
  readonly cluster: boolean;

  readonly grantReads: GrantReads;
  /** Standalone, a grantable token's find also reads its grant (see GrantReads). */
  private readonly findsGrant: boolean;
  /** The grant keys' prefix, which FIND_WITH_GRANT_LUA completes with the grant id it reads. */
  private readonly grantKeyPrefix: string;

  constructor(redis: ScriptedRedis, prefix: string, model: string, cluster: boolean, grantReads: GrantReads) {
    this.redis = redis;
    this.prefix = prefix;
    this.model = model;
    this.cluster = cluster;
    this.grantReads = grantReads;
    this.findsGrant = !cluster && GRANTABLE.has(model);
    this.grantKeyPrefix = `${prefix}Grant:`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    if (this.model === 'Grant') this.grantReads.drop(id);
    const key = this.key(id);
    const ttl = typeof expiresIn === 'number' ? Math.max(1, Math.ceil(expiresIn)) : undefined;
    // A re-saved payload that already says consumed stays consumed; anything else resets it.
    const consumed = payload.consumed ? String(typeof payload.consumed === 'number' ? payload.consumed : epochSeconds()) : '';
    const entry = [JSON.stringify(payload), consumed, ttl ? String(ttl) : ''];
    if (this.cluster) return this.upsertOnCluster(id, key, entry, payload, ttl);

    const { grantId, uid, userCode } = payload;
    const keys = [key];
    let indexes = '';
    if (grantId && GRANTABLE.has(this.model)) { keys.push(this.grantKey(grantId)); indexes += 'g'; }
    if (uid) { keys.push(this.indexKey('uid', uid)); indexes += 'i'; }
    if (userCode) { keys.push(this.indexKey('userCode', userCode)); indexes += 'i'; }
    await this.redis.gatehouseOidcUpsert(keys.length, ...keys, ...entry, indexes, id);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (this.model === 'Grant') {
      const prefetched = this.grantReads.take(id);
      if (prefetched) return parseEntry(prefetched);
    }
    if (!this.findsGrant) return parseEntry((await this.redis.hmget(this.key(id), 'payload', 'consumed')) as Entry);
    // [payload, consumed, grant id, its payload, its consumed]; empty for no entry. Indexed, not destructured:
    // destructuring an array walks an iterator (an allocation per find on introspection's hot path).
    const found = await this.redis.gatehouseOidcFindWithGrant(this.key(id), this.grantKeyPrefix);
    if (found.length === 0) return undefined;
    const grantId = found[2];
    if (grantId) this.grantReads.put(grantId, [found[3] ?? null, found[4] ?? null]);
    return parseEntry([found[0], found[1] ?? null]);
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
    if (this.model === 'Grant') this.grantReads.drop(id);
    // Keeps this one DEL: the indexes expire with the entry, and a lookup through an index
    // whose entry is gone finds nothing (grant set members likewise just fail to DEL).
    await this.redis.del(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.grantReads.drop(grantId);
    if (!this.cluster) {
      await this.redis.gatehouseOidcRevoke(this.grantKey(grantId));
      return;
    }
    const members = await this.redis.gatehouseOidcGrantRevoke(this.grantKey(grantId), this.revocationKey(grantId), REVOCATION_COUNTER_TTL_SECONDS);
    // Each member in its own slot; an upsert racing this one deletes its own entry (upsertOnCluster).
    await Promise.all(members.map((member) => this.redis.del(member)));
  }

  /**
   * Cluster upsert: the entry (one script in its slot), its grant membership (one script in the
   * grant's slot, reading the grant's revocation counter) and its indexes, in parallel. If the
   * counter moved meanwhile, a revocation of the grant ran concurrently and may have missed the
   * entry: the entry is deleted, as if the revocation had come just after this write.
   */
  private async upsertOnCluster(id: string, key: string, entry: string[], payload: AdapterPayload, ttl: number | undefined): Promise<void> {
    const { grantId, uid, userCode } = payload;
    const grantable = Boolean(grantId && GRANTABLE.has(this.model));
    // The entry alone (no index letters): each index lives in its own slot.
    const writes: Promise<unknown>[] = [this.redis.gatehouseOidcUpsertEntry(key, ...entry, '', id)];
    if (uid) writes.push(ttl ? this.redis.set(this.indexKey('uid', uid), id, 'EX', ttl) : this.redis.set(this.indexKey('uid', uid), id));
    if (userCode) writes.push(ttl ? this.redis.set(this.indexKey('userCode', userCode), id, 'EX', ttl) : this.redis.set(this.indexKey('userCode', userCode), id));
    const counterBefore = grantable ? this.redis.gatehouseOidcGrantAdd(this.grantKey(grantId!), this.revocationKey(grantId!), key, ttl ?? 0) : undefined;
    const [before] = await Promise.all([counterBefore, ...writes]);
    if (grantable && (await this.redis.get(this.revocationKey(grantId!))) !== before) await this.redis.del(key);
  }

  /** On a cluster, `{value}` is the key's hash tag: the slot is chosen by the value alone. */
  private tag(value: string): string {
    return this.cluster ? `{${value}}` : value;
  }

  private key(id: string): string {
    return `${this.prefix}${this.model}:${this.tag(id)}`;
  }

  private grantKey(grantId: string): string {
    return `${this.prefix}grant:${this.tag(grantId)}`;
  }

  /** Cluster only: bumped by every revocation of the grant, in the grant's slot. */
  private revocationKey(grantId: string): string {
    return `${this.prefix}grant:${this.tag(grantId)}:gen`;
  }

  private indexKey(kind: 'uid' | 'userCode', value: string): string {
    return `${this.prefix}${kind}:${this.model}:${this.tag(value)}`;
  }

  private async findByIndex(kind: 'uid' | 'userCode', value: string): Promise<AdapterPayload | undefined> {
    const id = await this.redis.get(this.indexKey(kind, value));
    return id === null ? undefined : this.find(id);
  }
}

function parseEntry(entry: Entry): AdapterPayload | undefined {
  const json = entry[0];
  const consumed = entry[1];
  if (json === null) return undefined;
  const payload: AdapterPayload = JSON.parse(json);
  if (consumed !== null) payload.consumed = Number(consumed);
  return payload;
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
