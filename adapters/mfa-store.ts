// knex implementation of MfaStore. Methods and recovery codes are rows of `credentials`.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { MfaMethod, MfaStore } from '../accounts/mfa.ts';
import { compileQuery } from './compiled-query.ts';

const RECOVERY = 'recovery_code';
/** Every other credential type is an MFA method (its kind is the registry's business, not this store's). */
const NOT_METHODS = ['password', RECOVERY];

type Row = { id: string; account_id: string; type: string; name: string | null; created_at: Date | string; last_used_at: Date | string | null; config: Record<string, unknown> };

const toMethod = (r: Row): MfaMethod => ({
  id: r.id,
  accountId: r.account_id,
  kind: r.type,
  name: r.name ?? r.type,
  createdAt: new Date(r.created_at),
  lastUsedAt: r.last_used_at ? new Date(r.last_used_at) : null,
  config: r.config,
});

/** knex-pglite returns raw results for some writes; count affected rows either way. */
const affected = (result: unknown): number =>
  typeof result === 'number' ? result : Number((result as { affectedRows?: number; rowCount?: number })?.affectedRows ?? (result as { rowCount?: number })?.rowCount ?? 0);

// The two lists every MFA step of a sign-in reads, compiled once (adapters/compiled-query.ts).
const methodsOfAccount = compileQuery<Row>((knex, param) =>
  knex('credentials').whereNotIn('type', NOT_METHODS).where({ account_id: param(0) }).orderBy([{ column: 'created_at' }, { column: 'id' }]).select('*'),
);
const credentialsButPassword = compileQuery<Row>((knex, param) =>
  knex('credentials').whereNot('type', 'password').where({ account_id: param(0) }).orderBy([{ column: 'created_at' }, { column: 'id' }]).select('*'),
);

// One UPDATE with the comparison in its WHERE clause: two parallel submissions of one code can't both win.
const totpStepClaim = compileQuery<{ id: string }>((knex, param) =>
  knex('credentials')
    .where({ id: param(0), type: 'totp' })
    .andWhereRaw(`coalesce((config->>'lastTimeStep')::bigint, -1) < ?::bigint`, [param(1)])
    .update({ config: knex.raw(`jsonb_set(config, '{lastTimeStep}', to_jsonb(?::bigint))`, [param(1)]), last_used_at: knex.fn.now() })
    .returning('id'),
);

export function createKnexMfaStore(knex: Knex): MfaStore {
  const methods = () => knex<Row>('credentials').whereNotIn('type', NOT_METHODS);
  return {
    async listMethods(accountId) {
      const rows = await methodsOfAccount(knex, [accountId]);
      return rows.map(toMethod);
    },
    async listMethodsAndRecoveryCodes(accountId) {
      // Every credential but the password, in listMethods' order; recovery codes are only counted.
      const rows = await credentialsButPassword(knex, [accountId]);
      const methods = rows.filter((r) => r.type !== RECOVERY).map(toMethod);
      return { methods, recoveryCodes: rows.length - methods.length };
    },
    async findMethod(accountId, methodId) {
      if (!/^[0-9a-f-]{36}$/i.test(methodId)) return undefined;
      const row = await methods().where({ account_id: accountId, id: methodId }).first();
      return row ? toMethod(row) : undefined;
    },
    async addMethod(accountId, kind, name, config) {
      const [row] = await knex<Row>('credentials')
        .insert({ id: randomUUID(), account_id: accountId, type: kind, name, config: JSON.stringify(config) as never })
        .returning('*');
      return toMethod(row);
    },
    async markUsed(methodId) {
      await knex('credentials').where({ id: methodId }).update({ last_used_at: knex.fn.now() });
    },
    async claimTotpStep(methodId, timeStep) {
      const rows = await totpStepClaim(knex, [methodId, timeStep]);
      return rows.length === 1;
    },
    async advanceSignCounter(methodId, counter) {
      const rows = await knex('credentials')
        .where({ id: methodId })
        .andWhereRaw(`coalesce((config->>'counter')::bigint, 0) < ?`, [counter])
        .update({ config: knex.raw(`jsonb_set(config, '{counter}', to_jsonb(?::bigint))`, [counter]), last_used_at: knex.fn.now() })
        .returning('id');
      return rows.length === 1;
    },
    async rename(accountId, methodId, name) {
      const rows = await methods().where({ account_id: accountId, id: methodId }).update({ name, updated_at: knex.fn.now() } as never).returning('id');
      return rows.length === 1;
    },
    async remove(accountId, methodId) {
      return knex.transaction(async (trx) => {
        // Lock the account's methods so two parallel removals can't delete the last two at once.
        const rows = await trx('credentials').where({ account_id: accountId }).whereNotIn('type', NOT_METHODS).forUpdate().select('id');
        if (!rows.some((r) => r.id === methodId)) return 'not_found' as const;
        if (rows.length <= 1) return 'last_method' as const;
        await trx('credentials').where({ id: methodId }).delete();
        return 'removed' as const;
      });
    },
    async replaceRecoveryCodes(accountId, digests) {
      await knex.transaction(async (trx) => {
        await trx('credentials').where({ account_id: accountId, type: RECOVERY }).delete();
        if (digests.length) {
          await trx('credentials').insert(
            digests.map((digest) => ({ id: randomUUID(), account_id: accountId, type: RECOVERY, config: JSON.stringify({ digest }) })),
          );
        }
      });
    },
    async countRecoveryCodes(accountId) {
      const [{ n }] = await knex('credentials').where({ account_id: accountId, type: RECOVERY }).count({ n: '*' });
      return Number(n);
    },
    async consumeRecoveryCode(accountId, digest) {
      const rows = await knex('credentials')
        .where({ account_id: accountId, type: RECOVERY })
        .andWhereRaw(`config->>'digest' = ?`, [digest])
        .delete()
        .returning('id');
      return Array.isArray(rows) ? rows.length === 1 : affected(rows) === 1;
    },
    async removeAll(accountId) {
      const result = await knex('credentials').where({ account_id: accountId }).whereNot('type', 'password').delete();
      return affected(result);
    },
  };
}
