// knex's client for the embedded store: knex-pglite, plus named prepared statements. PGlite's own
// query() parses and plans every statement anew and crosses into WebAssembly six times for it (parse,
// describe, bind, describe, execute, sync), on the server's own thread; a statement that knex runs with
// a `name` option (adapters/compiled-query.ts) is parsed once, and each run is one crossing with
// bind, describe, execute and sync together (the account read: ~390 → ~65 µs of CPU).
import { createRequire } from 'node:module';
import type { PGlite } from '@electric-sql/pglite';
import ClientPgLite from 'knex-pglite';

// knex-pglite require()s PGlite's CommonJS build; an import here would load its ES build beside it.
const { parse, protocol } = createRequire(import.meta.url)('@electric-sql/pglite') as typeof import('@electric-sql/pglite');

type QueryObject = { sql: string; bindings?: unknown[]; options?: { name?: string; changesAccount?: unknown }; response?: unknown };
/** What the prepared-statement path needs of PGlite beyond its typings (present in 0.5; used the same way by its query()). */
type Connection = PGlite & {
  _runExclusiveQuery<T>(work: () => Promise<T>): Promise<T>;
  serializers: Record<number, (value: unknown) => string>;
  parsers: Parameters<typeof parse.parseResults>[1];
};

const { serialize } = protocol;
/** The parameter types of each statement prepared on each PGlite instance. */
const preparedOn = new WeakMap<Connection, Map<string, number[]>>();

const BaseClient = ClientPgLite as unknown as new (config: object) => { _query(connection: unknown, obj: QueryObject): Promise<QueryObject> };

const READ_ONLY = /^\s*select\b/i;

/** A statement about to run on the embedded store that is not a plain select, and the one account it changes if it says. */
export type StoreWrite = { sql: string; changesAccount?: string };
export type StoreWriteListener = (write: StoreWrite) => void;

/**
 * The knex config's `storeWrites` hear every statement but a plain select before it runs, for the
 * embedded store's read caches (adapters/embedded-reads.ts). A statement run with the option
 * `changesAccount: id` changes that account's rows alone. (In the config: knex's transaction clients
 * share the config, not the client's own fields.)
 */
export type PgliteConfig = { storeWrites?: Set<StoreWriteListener> };

export class PglitePreparingClient extends BaseClient {
  declare config: PgliteConfig;

  async _query(connection: unknown, obj: QueryObject): Promise<QueryObject> {
    const listeners = this.config.storeWrites;
    if (listeners?.size && !READ_ONLY.test(obj.sql)) {
      const one = obj.options?.changesAccount;
      const write: StoreWrite = { sql: obj.sql, changesAccount: typeof one === 'string' ? one : undefined };
      for (const listener of listeners) listener(write);
    }
    const name = obj.options?.name;
    if (!name) return super._query(connection, obj);
    obj.response = await runPrepared(connection as Connection, name, obj.sql, obj.bindings ?? []);
    return obj;
  }
}

async function runPrepared(pg: Connection, name: string, sql: string, bindings: unknown[]) {
  let statements = preparedOn.get(pg);
  if (!statements) preparedOn.set(pg, (statements = new Map()));
  // Held as PGlite's query() holds it: no other statement's messages between these.
  const messages = await pg._runExclusiveQuery(async () => {
    let types = statements.get(name);
    if (!types) {
      const { messages: described } = await pg.execProtocol(join(serialize.parse({ name, text: sql, types: [] }), serialize.describe({ type: 'S', name }), serialize.sync()), { syncToFs: false });
      types = parse.parseDescribeStatementResults(described);
      statements.set(name, types);
    }
    const values = bindings.map((value, i) => (value === null || value === undefined ? null : (pg.serializers[types[i]] ?? String)(value)));
    const run = join(serialize.bind({ statement: name, values }), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync());
    return (await pg.execProtocol(run, { syncToFs: false })).messages;
  });
  if (!pg.isInTransaction()) await pg.syncToFs();
  return parse.parseResults(messages, pg.parsers)[0];
}

function join(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
