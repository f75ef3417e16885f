// oidc-provider Adapter over the oidc_payloads table (PostgreSQL or embedded PGlite).
// Times come from the database clock (now()), so several server processes agree on expiry.
import { isStorableText } from './storable-text.ts';
import type { Knex } from 'knex';
import { errors, type AdapterPayload } from 'oidc-provider';
import type { StateAdapter } from './state-adapter.ts';
import { compileQuery, compileQueryByCount, runsOf } from './compiled-query.ts';

const TABLE = 'oidc_payloads';

// Models whose rows are revoked together by grant id. Same set as oidc-provider's memory
// adapter: Interaction payloads also carry a grantId (the grant being amended), but an
// in-flight interaction is not a credential and revoking a grant must not delete it.
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/**
 * The oidc-provider Adapter contract, plus `tryConsume` (true when this call consumed the
 * entry). `consume` resolves only when this call consumed the entry and rejects otherwise; it
 * cannot resolve a boolean, since the provider's Adapter type wants Promise<void>, and the
 * provider ignores the value anyway (see `consume` below).
 */
export type SqlAdapter = StateAdapter<AdapterPayload>;

type Row = { payload: AdapterPayload | string; consumed_at: Date | string | null };

// Every request of a sign-in finds and saves provider state: these statements are compiled once
// and prepared (on the embedded store each costs a sixth of an unprepared one; adapters/pglite-client.ts).
/** A model's rows that have not expired. */
const live = (knex: Knex, model: string) =>
  knex(TABLE).where({ model }).andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', knex.fn.now()));
const findBy = (column: 'id' | 'uid' | 'user_code') =>
  compileQuery<Row>((knex, param) => live(knex, param(0)).where(column, param(1)).first('payload', 'consumed_at'));
const FIND = { id: findBy('id'), uid: findBy('uid'), user_code: findBy('user_code') };
// Under READ COMMITTED a concurrent UPDATE of the same row waits and then re-checks the WHERE
// against the committed row, so only one of them can see consumed_at IS NULL.
const consumeLive = compileQuery((knex, param) =>
  live(knex, param(0)).where({ id: param(1) }).whereNull('consumed_at').update({ consumed_at: knex.fn.now() }).returning('id'),
);
const destroyOne = compileQuery((knex, param) => knex(TABLE).where({ model: param(0), id: param(1) }).del());

/** One saved entry as the upsert statement takes it; the times are computed by the database's clock. */
type StateRow = {
  model: string;
  id: string;
  payload: string;
  grantId: string | null;
  uid: string | null;
  userCode: string | null;
  /** Seconds from now, or null: never expires. */
  expiresIn: number | null;
  /** Epoch seconds it was consumed at; null with consumedNow: now; null without: not consumed. */
  consumedAt: number | null;
  consumedNow: boolean;
};
const STATE_ROW_VALUES = 9;
/** Rows per upsert statement at most: one prepared statement per row count, so their number stays bounded. */
const UPSERT_ROWS_MAX = 32;
const upsertStatement = compileQueryByCount(UPSERT_ROWS_MAX, (knex, param, rows) =>
  knex(TABLE)
    .insert(
      Array.from({ length: rows }, (_, row) => {
        const at = (i: number) => param(row * STATE_ROW_VALUES + i);
        return {
          model: at(0),
          id: at(1),
          payload: at(2),
          grant_id: at(3),
          uid: at(4),
          user_code: at(5),
          // NULL seconds make a NULL expiry (never), as NULL epoch seconds make no consumption.
          expires_at: knex.raw('now() + make_interval(secs => ?::float8)', [at(6)]),
          consumed_at: knex.raw('coalesce(to_timestamp(?::float8), case when ?::boolean then now() end)', [at(7), at(8)]),
        };
      }),
    )
    .onConflict(['model', 'id'])
    .merge(),
);
const valuesOf = (r: StateRow) => [r.model, r.id, r.payload, r.grantId, r.uid, r.userCode, r.expiresIn, r.consumedAt, r.consumedNow];

export function createSqlAdapterFactory(knex: Knex): (model: string) => SqlAdapter {
  const writes = createGroupCommit(knex);
  return (model) => new OidcSqlAdapter(knex, model, writes);
}

type PendingWrite = { row: StateRow; resolve: () => void; reject: (err: unknown) => void };

/**
 * Group commit: upserts that arrive while a write is in flight go out together as one
 * multi-row INSERT … ON CONFLICT, and each resolves when its row is committed. On the embedded
 * store every statement costs a trip through PGlite's protocol layer, so concurrent token
 * requests share one (bench #10a: per-token server CPU). Durability and read-your-writes are
 * unchanged: nobody is told "saved" before the row is committed.
 */
function createGroupCommit(knex: Knex) {
  let queue: PendingWrite[] = [];
  let writing = false;

  async function drain() {
    writing = true;
    while (queue.length) {
      const batch = queue;
      queue = [];
      // One statement can't update the same row twice: the last save of an id wins, as it would in sequence.
      const last = new Map<string, PendingWrite>();
      for (const write of batch) last.set(`${write.row.model}\u0000${write.row.id}`, write);
      const rows = [...last.values()].map((w) => w.row);
      try {
        for (const run of runsOf(rows, UPSERT_ROWS_MAX)) await upsertStatement(run.length)(knex, run.flatMap(valuesOf));
        for (const write of batch) write.resolve();
      } catch (err) {
        for (const write of batch) write.reject(err);
      }
    }
    writing = false;
  }

  return (row: StateRow) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ row, resolve, reject });
      if (writing) return;
      // Start after the event loop has read every request already waiting: PGlite runs a statement
      // on this thread, so a write started at once would always go out alone.
      writing = true;
      setImmediate(() => void drain());
    });
}

/** Deletes expired rows of every model; returns how many. The server calls it periodically. */
export async function purgeExpired(knex: Knex): Promise<number> {
  const result: unknown = await knex(TABLE).where('expires_at', '<=', knex.fn.now()).del();
  // pg yields the row count; knex-pglite labels deletes 'DEL', which knex's pg dialect does not
  // recognise, so it hands back the raw result instead.
  return typeof result === 'number' ? result : (result as { rowCount: number }).rowCount;
}

class OidcSqlAdapter implements SqlAdapter {
  readonly knex: Knex;
  readonly model: string;
  private readonly write: (row: StateRow) => Promise<void>;

  constructor(knex: Knex, model: string, write: (row: StateRow) => Promise<void>) {
    this.knex = knex;
    this.model = model;
    this.write = write;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    // A re-saved payload that already says consumed stays consumed; anything else resets it.
    await this.write({
      model: this.model,
      id,
      // Stringified so pg never turns a top-level array into a Postgres array literal.
      payload: JSON.stringify(payload),
      grantId: GRANTABLE.has(this.model) ? ((payload.grantId as string | undefined) ?? null) : null,
      uid: payload.uid ?? null,
      userCode: payload.userCode ?? null,
      expiresIn: typeof expiresIn === 'number' ? expiresIn : null,
      consumedAt: typeof payload.consumed === 'number' ? payload.consumed : null,
      consumedNow: Boolean(payload.consumed) && typeof payload.consumed !== 'number',
    });
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.findWhere('id', id);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findWhere('uid', uid);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.findWhere('user_code', userCode);
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

  /** Atomically marks an unexpired, unconsumed entry consumed; true when this call did it. */
  async tryConsume(id: string): Promise<boolean> {
    if (!isStorableText(id)) return false;
    return (await consumeLive(this.knex, [this.model, id])).length === 1;
  }

  async destroy(id: string): Promise<void> {
    if (!isStorableText(id)) return;
    await destroyOne(this.knex, [this.model, id]);
  }

  /** Deletes every model's rows of the grant (the provider calls this once per model). */
  async revokeByGrantId(grantId: string): Promise<void> {
    await this.knex(TABLE).where({ grant_id: grantId }).del();
  }

  private async findWhere(column: keyof typeof FIND, value: string): Promise<AdapterPayload | undefined> {
    if (!isStorableText(value)) return undefined;
    const [row] = await FIND[column](this.knex, [this.model, value]);
    if (!row) return undefined;
    const payload: AdapterPayload = typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload;
    if (row.consumed_at !== null) {
      payload.consumed = Math.floor(new Date(row.consumed_at).getTime() / 1000);
    }
    return payload;
  }
}

function alreadyConsumed(model: string): Error {
  if (model === 'PushedAuthorizationRequest') {
    return new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used');
  }
  // "AuthorizationCode" -> "authorization code", as in the provider's own replay messages.
  return new errors.InvalidGrant(`${model.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()} already consumed`);
}
