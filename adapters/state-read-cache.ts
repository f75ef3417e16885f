// Answers `find(id)` of provider state this process saved itself from memory, for the embedded
// store only: PGlite is one process's database (adapters/database.ts holds its lock), so nothing
// but this process writes its rows, and every write passes through here. A sign-in finds its
// interaction, session and grant again in almost every request; each find is a statement on the
// server's own thread otherwise (bench/login-cost.ts with BENCH_EMBEDDED=1).
// Never used with PostgreSQL: other processes (workers, the CLI) write the same table there.
import { delegateTo, type StateAdapter, type StateAdapterFactory, type StatePayload } from './state-adapter.ts';

/** Entries kept at most (the most recently saved): a sign-in's state is found again within seconds. */
export const STATE_READ_CACHE_ENTRIES = 2000;

type Entry = { json: string; expiresAt: number; grantId: unknown };
/** Saves of one key in flight, and a number every write of the key changes (a later write wins). */
type InFlight = { saves: number; version: number };

export function cacheStateReads(inner: StateAdapterFactory, maxEntries = STATE_READ_CACHE_ENTRIES): StateAdapterFactory {
  // Map order is insertion order: the first key is the least recently saved.
  const entries = new Map<string, Entry>();
  const inFlight = new Map<string, InFlight>();

  /** Drops the key's entry, so that a save still in flight does not put back what a later write replaced. */
  const forget = (key: string) => {
    entries.delete(key);
    const pending = inFlight.get(key);
    if (pending) pending.version++;
  };
  /** Saves through the store; caches what was saved unless another write of the key began meanwhile. */
  const save = async (key: string, write: () => Promise<void>, entry: Entry | undefined) => {
    entries.delete(key); // and the version bump below stops any earlier save of the key from caching
    let pending = inFlight.get(key);
    if (!pending) inFlight.set(key, (pending = { saves: 0, version: 0 }));
    pending.saves++;
    const version = ++pending.version;
    try {
      await write();
      if (entry && pending.version === version) {
        entries.set(key, entry);
        if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      }
    } finally {
      if (--pending.saves === 0) inFlight.delete(key);
    }
  };

  return (model) => {
    const adapter: StateAdapter = inner(model);
    const keyOf = (id: string) => `${model}\u0000${id}`;
    return {
      ...delegateTo(adapter),
      async upsert(id, payload, expiresIn) {
        // A consumed payload is answered by the store, which dates the consumption.
        const entry = payload.consumed
          ? undefined
          : { json: JSON.stringify(payload), expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity, grantId: payload.grantId };
        await save(keyOf(id), () => adapter.upsert(id, payload, expiresIn), entry);
      },
      async find(id) {
        const key = keyOf(id);
        const entry = entries.get(key);
        if (!entry) return adapter.find(id);
        if (entry.expiresAt <= Date.now()) {
          entries.delete(key);
          return undefined;
        }
        // A fresh object each time, as from the store: callers change what they get.
        return JSON.parse(entry.json) as StatePayload;
      },
      async consume(id) {
        forget(keyOf(id));
        await adapter.consume(id);
      },
      async tryConsume(id) {
        forget(keyOf(id));
        return adapter.tryConsume(id);
      },
      async destroy(id) {
        forget(keyOf(id));
        await adapter.destroy(id);
      },
      async revokeByGrantId(grantId) {
        // The store deletes the grant's rows of every model (adapters/oidc-sql-adapter.ts).
        for (const [key, entry] of entries) if (entry.grantId === grantId) forget(key);
        await adapter.revokeByGrantId(grantId);
      },
    };
  };
}
