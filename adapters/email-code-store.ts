// knex implementation of EmailCodeStore (accounts/email-codes.ts). Attempts and use are single
// UPDATE statements, so concurrent submissions can't overspend a code.
import type { Knex } from 'knex';
import type { EmailCodePurpose, EmailCodeStore, PendingEmailCode } from '../accounts/email-codes.ts';

type Row = {
  id: string;
  account_id: string;
  purpose: EmailCodePurpose;
  email: string;
  code_hash: string;
  attempts: number;
  expires_at: Date | string;
};

const toCode = (r: Row): PendingEmailCode => ({
  id: r.id,
  accountId: r.account_id,
  purpose: r.purpose,
  email: r.email,
  codeHash: r.code_hash,
  attempts: Number(r.attempts),
  expiresAt: new Date(r.expires_at),
});

const affected = (n: unknown) => (typeof n === 'number' ? n : Number((n as { rowCount?: number })?.rowCount ?? 0));

export function createKnexEmailCodeStore(knex: Knex): EmailCodeStore {
  return {
    async replace(code) {
      await knex.transaction(async (trx) => {
        // Spent codes are history nobody reads; the pending one is replaced.
        await trx('email_codes').where({ account_id: code.accountId, purpose: code.purpose }).del();
        await trx('email_codes').insert({
          id: code.id,
          account_id: code.accountId,
          purpose: code.purpose,
          email: code.email,
          code_hash: code.codeHash,
          expires_at: code.expiresAt,
        });
      });
    },
    async findPending(accountId, purpose) {
      const row: Row | undefined = await knex('email_codes').where({ account_id: accountId, purpose }).whereNull('consumed_at').first();
      return row ? toCode(row) : undefined;
    },
    async spendAttempt(id, max) {
      const rows = await knex('email_codes')
        .where({ id })
        .whereNull('consumed_at')
        .andWhere('attempts', '<', max)
        .update({ attempts: knex.raw('attempts + 1') })
        .returning('attempts');
      return rows.length === 1 ? Number(rows[0].attempts) : undefined;
    },
    async consume(id) {
      const n = await knex('email_codes').where({ id }).whereNull('consumed_at').update({ consumed_at: knex.fn.now() });
      return affected(n) === 1;
    },
    async remove(id) {
      await knex('email_codes').where({ id }).del();
    },
  };
}
