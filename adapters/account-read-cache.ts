// Answers `findById` from memory on the embedded store only, as adapters/state-read-cache.ts does for
// provider state: PGlite is one process's database (adapters/database.ts holds its lock), so every
// statement that could change an account passes through this process's client, which tells us before
// it runs (adapters/pglite-client.ts): the entry of that one account goes, or every entry when the
// statement does not say which account it changes. So the next request still sees every change, as it
// would reading the row. A password + TOTP sign-in reads the account in ~5 of its requests, each a
// statement on the server's own thread otherwise (bench/login-cost.ts with BENCH_EMBEDDED=1).
// Never used with PostgreSQL: other processes (workers, the CLI) write the same tables there.
import type { AccountStore, AccountWithOrganization } from '../accounts/account.ts';
import type { AccountWriteListener } from './pglite-client.ts';

/** Accounts kept at most; past it the cache starts over (a sign-in reads its account again within seconds). */
export const ACCOUNT_READ_CACHE_ENTRIES = 10_000;

export function cacheAccountReads(store: AccountStore, onAccountWrite: (listener: AccountWriteListener) => void, maxEntries = ACCOUNT_READ_CACHE_ENTRIES): AccountStore {
  const entries = new Map<string, AccountWithOrganization>();
  // Bumped by every write: a read that a write overtook may hold what the write replaced, so it is not kept.
  let writes = 0;
  onAccountWrite((accountId) => {
    writes++;
    if (accountId === undefined) entries.clear();
    else entries.delete(accountId);
  });
  return {
    ...store,
    async findById(id) {
      const cached = entries.get(id);
      // Copies: a caller changing its account object must not change the next reader's.
      if (cached) return structuredClone(cached);
      const before = writes;
      const account = await store.findById(id);
      if (account && writes === before) {
        if (entries.size >= maxEntries) entries.clear();
        entries.set(id, structuredClone(account));
      }
      return account;
    },
  };
}
