// Opens the accounts database: PostgreSQL when DATABASE_URL is set, otherwise the embedded
// PGlite store under DATA_DIR. PGlite is one process's database, so it is guarded by a lock
// file: a second process (the CLI while the server runs) is refused with a clear message.
import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { PglitePreparingClient, type StoreWriteListener, type PgliteConfig } from './pglite-client.ts';
import { migrations } from './migrations/index.ts';

export type Database = {
  knex: Knex;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
  /** The embedded store only (one process writes it): hears each statement but a plain select before it runs. */
  onStoreWrite?(listener: StoreWriteListener): void;
};

export class StoreBusyError extends Error {}

/** The database could not be used at start (unreachable, credentials refused, no such database): one line, names DATABASE_URL. */
export class DatabaseUnavailableError extends Error {}

export type DatabaseOptions = {
  databaseUrl?: string;
  /** Directory for the embedded store; undefined with no databaseUrl → in-memory PGlite (tests). */
  dataDir?: string;
  poolMax?: number;
  /** PostgreSQL schema to use (created if missing); lets test runs stay apart in one database. */
  schema?: string;
  /**
   * PostgreSQL only: a statement running longer is cancelled (and a frozen server given up on)
   * after this many ms; 0 → no limit (the CLI's long operator commands). Default: serving limits.
   */
  statementTimeoutMs?: number;
};

/** Serving: no request waits longer than this on the database; it answers 503 instead (server/error-handler.ts). */
export const DATABASE_STATEMENT_TIMEOUT_MS = 2000;
/** A pooled connection not free (or a new one not connected) within this is an outage, not load. */
export const DATABASE_ACQUIRE_TIMEOUT_MS = 2000;

/** pg settings for a limit: the server cancels the statement; the client gives up on a frozen server a little later. */
function pgConnection(url: string, statementTimeoutMs: number) {
  if (statementTimeoutMs <= 0) return { connectionString: url, connectionTimeoutMillis: DATABASE_ACQUIRE_TIMEOUT_MS };
  return { connectionString: url, statement_timeout: statementTimeoutMs, query_timeout: statementTimeoutMs + 500, connectionTimeoutMillis: DATABASE_ACQUIRE_TIMEOUT_MS };
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const knex = knexFactory({
      client: 'pg',
      connection: pgConnection(options.databaseUrl, options.statementTimeoutMs ?? DATABASE_STATEMENT_TIMEOUT_MS),
      pool: { min: 0, max: options.poolMax ?? 10 },
      acquireConnectionTimeout: DATABASE_ACQUIRE_TIMEOUT_MS,
      // knex prints connection failures as bare text on stderr; they reach the caller as errors anyway.
      log: { warn: () => {}, error: () => {}, deprecate: () => {}, debug: () => {} },
      searchPath: options.schema ? [options.schema] : undefined,
    });
    try {
      await knex.raw('select 1');
    } catch (err) {
      await knex.destroy().catch(() => {});
      throw describeConnectError(err as NodeJS.ErrnoException, options.databaseUrl);
    }
    if (options.schema) await knex.raw('create schema if not exists ??', [options.schema]);
    return { knex, kind: 'postgres', close: () => knex.destroy() };
  }
  let releaseLock = () => {};
  let connection: object = {};
  if (options.dataDir) {
    fs.mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    releaseLock = acquireLock(path.join(options.dataDir, 'pglite.lock'));
    connection = { filename: path.join(options.dataDir, 'pglite') };
  }
  const storeWrites = new Set<StoreWriteListener>();
  const config: Knex.Config & PgliteConfig = { client: PglitePreparingClient as unknown as typeof Knex.Client, dialect: 'postgres', connection, storeWrites };
  const knex = knexFactory(config);
  // Open the store now: destroying a knex that never connected leaves PGlite running and its files locked.
  await knex.raw('select 1');
  return {
    knex,
    kind: 'pglite',
    onStoreWrite: (listener) => void storeWrites.add(listener),
    close: async () => {
      await knex.destroy();
      releaseLock();
    },
  };
}

/** One line naming the cause and DATABASE_URL; never the password. */
function describeConnectError(err: NodeJS.ErrnoException, databaseUrl: string): DatabaseUnavailableError {
  let where = 'the database';
  try {
    const url = new URL(databaseUrl);
    where = `the database at ${url.hostname}:${url.port || 5432}${url.pathname}`;
  } catch {
    // config.ts validated it; keep the generic wording
  }
  const code = err.code ?? '';
  const firstLine = String(err.message ?? err).split('\n')[0];
  // PostgreSQL SQLSTATE class 28 (invalid authorization) and 3D000 (no such database).
  if (code === '28P01' || code === '28000') return new DatabaseUnavailableError(`${where} refused the credentials (${firstLine}); fix the user and password in DATABASE_URL`);
  if (code === '3D000') return new DatabaseUnavailableError(`${where} does not exist (${firstLine}); fix the database name in DATABASE_URL`);
  const reason = code || firstLine;
  return new DatabaseUnavailableError(`cannot reach ${where} (${reason}); check DATABASE_URL and that PostgreSQL is running`);
}

/** Applies pending migrations; safe to call on every start and from the CLI. */
export async function migrate(knex: Knex): Promise<string[]> {
  // Migrations may rebuild indexes on big tables: on PostgreSQL they get their own connection without the serving limit.
  const config = knex.client.config as Knex.Config & { connection?: { connectionString?: string; statement_timeout?: number } };
  const limited = config.client === 'pg' && typeof config.connection === 'object' && config.connection?.statement_timeout;
  const runner = limited ? knexFactory({ ...config, connection: pgConnection(config.connection!.connectionString!, 0), pool: { min: 0, max: 1 } }) : knex;
  try {
    const [, applied] = await runner.migrate.latest({ migrationSource: migrationSource, tableName: 'knex_migrations' });
    return applied as string[];
  } finally {
    if (runner !== knex) await runner.destroy();
  }
}

const migrationSource: Knex.MigrationSource<(typeof migrations)[number]> = {
  // Applied in timestamp order, whatever order index.ts lists them in.
  getMigrations: async () => [...migrations].sort((a, b) => a.name.localeCompare(b.name)),
  getMigrationName: (m) => m.name,
  getMigration: async (m) => m,
};

function acquireLock(lockPath: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx', mode: 0o600 });
      const release = () => fs.rmSync(lockPath, { force: true });
      process.once('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(fs.readFileSync(lockPath, 'utf8'));
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new StoreBusyError(
          `the embedded store in ${path.dirname(lockPath)} is open by a running Gatehouse process (pid ${holder}); ` +
            'stop it first, or run against PostgreSQL with DATABASE_URL',
        );
      }
      fs.rmSync(lockPath, { force: true }); // stale lock from a crashed process
    }
  }
  throw new StoreBusyError(`could not lock the embedded store at ${lockPath}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
