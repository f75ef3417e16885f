// Signing keys in the database, private JWKs sealed with the KEK.
import type { Knex } from 'knex';
import type { SecretBox } from './secret-box.ts';

export type StoredSigningKey = { kid: string; alg: string; jwk: Record<string, unknown>; createdAt: Date; retiredAt: Date | null };

export function createSigningKeyStore(knex: Knex, box: SecretBox) {
  return {
    async list(): Promise<StoredSigningKey[]> {
      const rows = await knex('signing_keys').orderBy('created_at', 'desc').select('*');
      return rows.map((r) => ({
        kid: r.kid,
        alg: r.alg,
        jwk: JSON.parse(box.open(r.encrypted_jwk)),
        createdAt: new Date(r.created_at),
        retiredAt: r.retired_at ? new Date(r.retired_at) : null,
      }));
    },
    /** Adds new active keys and retires the previous active ones of the same algorithms, atomically. */
    async addAndRetirePrevious(keys: { kid: string; alg: string; jwk: Record<string, unknown> }[]) {
      await knex.transaction(async (trx) => {
        await trx('signing_keys')
          .whereIn('alg', keys.map((k) => k.alg))
          .whereNull('retired_at')
          .update({ retired_at: trx.fn.now() });
        await trx('signing_keys').insert(
          keys.map((k) => ({ kid: k.kid, alg: k.alg, encrypted_jwk: box.seal(JSON.stringify(k.jwk)) })),
        );
      });
    },
  };
}

export type SigningKeyStore = ReturnType<typeof createSigningKeyStore>;
