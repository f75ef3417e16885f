// Which real stores a test run has. PGlite always; PostgreSQL and Redis when CI (or a developer)
// points DATABASE_URL / REDIS_URL at them. Suites that need them say once why they are skipped.
import { redisClusterUnavailable } from './redis-cluster.ts';

export const TEST_DATABASE_URL = process.env.DATABASE_URL;
export const TEST_REDIS_URL = process.env.REDIS_URL;

export type StoreKind = {
  name: string;
  databaseUrl?: string;
  redisUrl?: string;
  /** Provider state on a three-master Redis Cluster the test helper starts (test/helpers/redis-cluster.ts). */
  redisCluster?: boolean;
  skip?: string;
};

/** The store combinations an integration suite runs against; `redisCluster` adds PostgreSQL + Redis Cluster. */
export function storeMatrix(options: { redisCluster?: boolean } = {}): StoreKind[] {
  const remote: StoreKind = { name: 'PostgreSQL + Redis', databaseUrl: TEST_DATABASE_URL, redisUrl: TEST_REDIS_URL };
  if (!TEST_DATABASE_URL || !TEST_REDIS_URL) {
    remote.skip = `skipped: ${!TEST_DATABASE_URL ? 'DATABASE_URL' : 'REDIS_URL'} not set`;
  }
  const stores: StoreKind[] = [{ name: 'embedded PGlite' }, remote];
  if (options.redisCluster) {
    const missing = !TEST_DATABASE_URL ? 'DATABASE_URL not set' : redisClusterUnavailable();
    stores.push({ name: 'PostgreSQL + Redis Cluster', databaseUrl: TEST_DATABASE_URL, redisCluster: true, ...(missing ? { skip: `skipped: ${missing}` } : {}) });
  }
  return stores;
}

/** A mocha describe that runs, or is skipped with its reason in the title (one line). */
export function describeFor(store: StoreKind, title: string, body: () => void) {
  if (store.skip) describe.skip(`${title} on ${store.name} (${store.skip})`, body);
  else describe(`${title} on ${store.name}`, body);
}
