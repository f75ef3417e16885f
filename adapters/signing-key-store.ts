// Signing keys in the database, private JWKs sealed with the KEK.
import type { Knex } from 'knex';
import type { SecretBox } from './secret-box.ts';

/** The stored keys were sealed under another KEK (e.g. DATABASE_URL with a fresh DATA_DIR and a generated KEK). */
export class SigningKeysUnreadableError extends Error {
  constructor() {
    super('the signing keys in the database cannot be opened with this KEK; set KEK to the key this database was first started with');
  }
}

type NewSigningKey = { kid: string; alg: string; jwk: Record<string, unknown> };

/** pg advisory lock id of key rotation (any constant; only Gatehouse's key rotation uses it). */
const ROTATION_LOCK = 0x6761_7465; // "gate"

export type StoredSigningKey = { kid: string; alg: string; jwk: Record<string, unknown>; createdAt: Date; retiredAt: Date | null };

export function createSigningKeyStore(knex: Knex, box: SecretBox) {
  return {
    async list(): Promise<StoredSigningKey[]> {
      const rows = await knex('signing_keys').orderBy('created_at', 'desc').select('*');
      return rows.map((r) => ({
        kid: r.kid,
        alg: r.alg,
        jwk: JSON.parse(openOrExplain(box, r.encrypted_jwk)),
        createdAt: new Date(r.created_at),
        retiredAt: r.retired_at ? new Date(r.retired_at) : null,
      }));
    },
    /** Adds new active keys and retires the previous active ones of the same algorithms, atomically. */
    async addAndRetirePrevious(keys: NewSigningKey[]) {
      await knex.transaction(async (trx) => {
        await trx.raw('select pg_advisory_xact_lock(?)', [ROTATION_LOCK]);
        await retireAndInsert(trx, keys);
      });
    },
    /**
     * The scheduled rotation: when the oldest active key is older than `maxAgeDays`, adds the keys
     * `make()` returns and retires the old ones; true when this call rotated. Of several processes
     * checking at once exactly one rotates: they queue on an advisory lock, and the later ones find
     * young keys.
     */
    async rotateIfOlderThan(maxAgeDays: number, make: () => NewSigningKey[]): Promise<boolean> {
      const due = (db: Knex) =>
        db('signing_keys')
          .whereNull('retired_at')
          .where('created_at', '<', db.raw('now() - make_interval(days => ?)', [maxAgeDays]))
          .first('kid');
      if (!(await due(knex))) return false; // the common case takes no lock
      return knex.transaction(async (trx) => {
        await trx.raw('select pg_advisory_xact_lock(?)', [ROTATION_LOCK]);
        if (!(await due(trx))) return false;
        await retireAndInsert(trx, make());
        return true;
      });
    },
  };

  async function retireAndInsert(trx: Knex.Transaction, keys: NewSigningKey[]) {
    await trx('signing_keys')
      .whereIn('alg', keys.map((k) => k.alg))
      .whereNull('retired_at')
      .update({ retired_at: trx.fn.now() });
    await trx('signing_keys').insert(keys.map((k) => ({ kid: k.kid, alg: k.alg, encrypted_jwk: box.seal(JSON.stringify(k.jwk)) })));
  }
}

function openOrExplain(box: SecretBox, sealed: string): string {
  try {
    return box.open(sealed);
  } catch {
    throw new SigningKeysUnreadableError();
  }
}

export type SigningKeyStore = ReturnType<typeof createSigningKeyStore>;
