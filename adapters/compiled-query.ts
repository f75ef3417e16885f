// A statement built once with knex's query builder and then run with new values. Building and
// compiling a builder costs ~50 µs of the server's own thread per call (bench: 127 → 76 µs for the
// account read), more than PostgreSQL's side of a simple read; statements on every request compile once.
// It is also a named prepared statement, parsed and planned once per connection: on PostgreSQL the
// account read costs its backend 142 → 38 µs of CPU per call (on the cores the server shares), on the
// embedded store the server's own thread ~390 → ~65 µs (adapters/pglite-client.ts).
// It runs through knex.raw, so the pool, its timeouts, transactions and knex's query events still apply.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

/** Stands for the index-th value in the built statement. Contains NUL, which no value sent to PostgreSQL may. */
export type Parameter = (index: number) => string;

const sentinel: Parameter = (index) => `\u0000gatehouse-parameter-${index}\u0000`;
const SENTINEL = /^\u0000gatehouse-parameter-(\d+)\u0000$/;

type Compiled = { sql: string; bindings: readonly unknown[]; slots: number[]; digest: string };
/** What a run tells the client beside its values: `changesAccount`, the one account a write changes (adapters/pglite-client.ts). */
type StatementOptions = { changesAccount?: string };

/**
 * `build(db, param)` returns the statement with `param(i)` where the i-th value goes; it is built on the
 * first call (with that call's `db`: the SQL is the same for every connection, transaction or process).
 * The returned function runs it on `db` (a knex or a transaction) with `values` and resolves its rows.
 */
export function compileQuery<Row = Record<string, unknown>>(build: (db: Knex, param: Parameter) => Knex.QueryBuilder | Knex.Raw) {
  let compiled: Compiled | undefined;
  // A migration of a running deployment can change what `select *` returns; PostgreSQL then refuses
  // the prepared plan ("cached plan must not change result type"): the next generation prepares anew.
  let generation = 0;
  const run = (db: Knex | Knex.Transaction, { sql, digest }: Compiled, values: Knex.RawBinding[], options: StatementOptions | undefined) => {
    return db.raw(sql, values).options({ ...options, name: `gh_${digest}_${generation}` }) as unknown as Promise<{ rows: Row[] }>;
  };
  return async (db: Knex | Knex.Transaction, values: readonly Knex.Value[], options?: StatementOptions): Promise<Row[]> => {
    compiled ??= compile(build(db as Knex, sentinel));
    const { slots, bindings } = compiled;
    const filled = slots.map((slot, i) => (slot >= 0 ? values[slot] : bindings[i])) as Knex.RawBinding[];
    try {
      return (await run(db, compiled, filled, options)).rows;
    } catch (err) {
      if (!isStalePlan(err)) throw err;
      generation++;
      return (await run(db, compiled, filled, options)).rows;
    }
  };
}

/**
 * For statements whose text depends on a count (the rows of a multi-row insert, the keys of an IN
 * list): one compiled (and prepared) statement per count, built when first asked for. Counts above
 * `max` are refused, so a connection never holds more than `max` of them.
 */
export function compileQueryByCount<Row = Record<string, unknown>>(max: number, build: (db: Knex, param: Parameter, count: number) => Knex.QueryBuilder | Knex.Raw) {
  const byCount = new Map<number, ReturnType<typeof compileQuery<Row>>>();
  return (count: number) => {
    if (!Number.isInteger(count) || count < 1 || count > max) throw new RangeError(`a count of 1 to ${max}, not ${count}`);
    let query = byCount.get(count);
    if (!query) byCount.set(count, (query = compileQuery<Row>((db, param) => build(db, param, count))));
    return query;
  };
}

/** `items` in runs of at most `max`, for a compileQueryByCount statement of that `max` (one run per statement). */
export function runsOf<T>(items: readonly T[], max: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / max) }, (_, i) => items.slice(i * max, (i + 1) * max));
}

function compile(query: Knex.QueryBuilder | Knex.Raw): Compiled {
  const { sql, bindings } = query.toSQL();
  // Each binding is either a parameter (its index) or a constant of the statement (kept as built).
  const slots = bindings.map((binding) => {
    const match = typeof binding === 'string' ? SENTINEL.exec(binding) : null;
    return match ? Number(match[1]) : -1;
  });
  return { sql, bindings, slots, digest: createHash('sha256').update(sql).digest('hex').slice(0, 24) };
}

/** SQLSTATE 0A000 as PostgreSQL raises it for a prepared statement whose tables changed shape. */
function isStalePlan(err: unknown): boolean {
  const { code, message } = err as { code?: string; message?: string };
  return code === '0A000' && /cached plan must not change result type/.test(message ?? '');
}
