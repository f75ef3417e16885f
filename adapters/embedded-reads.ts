// Reads of the embedded store answered from memory across requests, as adapters/state-read-cache.ts
// does for provider state: PGlite is one process's database (adapters/database.ts holds its lock), so
// every statement that could change what a read returns passes through this process's client, which
// tells us before it runs (adapters/pglite-client.ts). A statement naming one of the read's tables drops
// the entry of the one account it says it changes, or every entry when it does not say. So the next
// request sees every change, as it would reading the rows. A password + TOTP sign-in reads its account
// in ~5 of its requests, its organization's branding on each page and the sign-in buttons' identity
// providers, each a statement on the server's own thread otherwise (bench/login-cost.ts, BENCH_EMBEDDED=1).
// Never used with PostgreSQL: other processes (workers, the CLI) write the same tables there.
import type { AccountStore } from '../accounts/account.ts';
import type { BrandingStore } from '../accounts/branding.ts';
import type { FederationStore } from '../federation/federation-store.ts';
import type { StoreWrite, StoreWriteListener } from './pglite-client.ts';

export type OnStoreWrite = (listener: StoreWriteListener) => void;

/** Entries kept per read at most; past it the read starts over (a sign-in reads its entries again within seconds). */
export const EMBEDDED_READ_ENTRIES = 10_000;

/** The tables an account read joins (adapters/account-store.ts findById); their rows reference only each other. */
const ACCOUNT_TABLES = /\b(accounts|memberships|organizations)\b/i;
/** The tables of an account's branding (adapters/branding-store.ts ofAccount). */
const BRANDING_TABLES = /\b(memberships|organizations|organization_branding)\b/i;
const IDENTITY_PROVIDER_TABLES = /\bidentity_providers\b/i;

/**
 * `read(key)` from memory once it has been read, until a write to one of `tables` (then the entry of
 * the account the write names, or all). Values are copied in and out: a caller changing what it got
 * must not change the next reader's. `keep` says which values are worth keeping (not "none found").
 */
export function rememberReads<T>(onWrite: OnStoreWrite, tables: RegExp, read: (key: string) => Promise<T>, keep: (value: T) => boolean = () => true) {
  const entries = new Map<string, T>();
  // Bumped by every write: a read that a write overtook may hold what the write replaced, so it is not kept.
  let writes = 0;
  onWrite((write: StoreWrite) => {
    if (!tables.test(write.sql)) return;
    writes++;
    if (write.changesAccount === undefined) entries.clear();
    else entries.delete(write.changesAccount);
  });
  return async (key: string): Promise<T> => {
    if (entries.has(key)) return structuredClone(entries.get(key) as T);
    const before = writes;
    const value = await read(key);
    if (keep(value) && writes === before) {
      if (entries.size >= EMBEDDED_READ_ENTRIES) entries.clear();
      entries.set(key, structuredClone(value));
    }
    return value;
  };
}

/** The account store with findById remembered. */
export function rememberAccountReads(store: AccountStore, onWrite: OnStoreWrite): AccountStore {
  return { ...store, findById: rememberReads(onWrite, ACCOUNT_TABLES, (id) => store.findById(id), (account) => account !== undefined) };
}

/** The branding store with an account's branding remembered (every page of a sign-in asks for it). */
export function rememberBrandingReads(store: BrandingStore, onWrite: OnStoreWrite): BrandingStore {
  return { ...store, ofAccount: rememberReads(onWrite, BRANDING_TABLES, (accountId) => store.ofAccount(accountId), (found) => found !== undefined) };
}

/** The federation store with the sign-in page's identity-provider buttons remembered. */
export function rememberIdentityProviderButtons(store: FederationStore, onWrite: OnStoreWrite): FederationStore {
  const buttons = rememberReads(onWrite, IDENTITY_PROVIDER_TABLES, () => store.listButtonIdentityProviders());
  return { ...store, listButtonIdentityProviders: () => buttons('') };
}
