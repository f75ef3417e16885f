import assert from 'node:assert/strict';
import { createEmailCodes, type EmailCodeStore, type PendingEmailCode } from './email-codes.ts';
import { DomainError } from './errors.ts';
import { EMAIL_CODE_MAX_ATTEMPTS, EMAIL_CODE_TTL_SECONDS } from './security-constants.ts';

/** The store contract in memory (the knex store is exercised by the integration tests). */
function memoryStore() {
  const rows = new Map<string, PendingEmailCode & { consumed: boolean }>();
  const store: EmailCodeStore = {
    async replace(code) {
      for (const [id, r] of rows) if (r.accountId === code.accountId && r.purpose === code.purpose) rows.delete(id);
      rows.set(code.id, { ...code, attempts: 0, consumed: false });
    },
    async findPending(accountId, purpose) {
      const r = [...rows.values()].find((x) => x.accountId === accountId && x.purpose === purpose && !x.consumed);
      return r ? { ...r } : undefined;
    },
    async spendAttempt(id, max) {
      const r = rows.get(id);
      if (!r || r.consumed || r.attempts >= max) return undefined;
      return ++r.attempts;
    },
    async consume(id) {
      const r = rows.get(id);
      if (!r || r.consumed) return false;
      r.consumed = true;
      return true;
    },
    async remove(id) {
      rows.delete(id);
    },
  };
  return { store, rows };
}

const codeOf = (err: unknown) => (err as DomainError).code;

describe('email codes', () => {
  let now = Date.UTC(2026, 0, 1);
  const clock = () => now;
  const secret = Buffer.alloc(32, 7);

  it('issues 6-digit codes and keeps only an HMAC of them', async () => {
    const { store, rows } = memoryStore();
    const codes = createEmailCodes({ store, secret, clock });
    const { id, code } = await codes.issue('a1', 'verify_email', 'ann@example.com');
    assert.match(code, /^\d{6}$/);
    const row = rows.get(id)!;
    assert.ok(!row.codeHash.includes(code));
    assert.match(row.codeHash, /^[0-9a-f]{64}$/);
    assert.equal(row.expiresAt.getTime(), now + EMAIL_CODE_TTL_SECONDS * 1000);
  });

  type Case = { name: string; act: (c: ReturnType<typeof createEmailCodes>, code: string) => Promise<unknown>; expect: string };
  const cases: Case[] = [
    { name: 'the right code redeems once', act: (c, code) => c.redeem('a1', 'verify_email', code), expect: 'ok' },
    { name: 'spaces around the digits are ignored', act: (c, code) => c.redeem('a1', 'verify_email', ` ${code.slice(0, 3)} ${code.slice(3)} `), expect: 'ok' },
    {
      name: 'a used code is refused',
      act: async (c, code) => {
        await c.redeem('a1', 'verify_email', code);
        return c.redeem('a1', 'verify_email', code);
      },
      expect: 'code.expired',
    },
    {
      name: 'a code older than 15 minutes is refused',
      act: async (c, code) => {
        now += EMAIL_CODE_TTL_SECONDS * 1000 + 1;
        return c.redeem('a1', 'verify_email', code);
      },
      expect: 'code.expired',
    },
    {
      name: 'a wrong code says how many tries are left',
      act: (c, code) => c.redeem('a1', 'verify_email', code === '000000' ? '000001' : '000000'),
      expect: 'code.invalid',
    },
    {
      name: 'after 5 wrong codes even the right one is refused',
      act: async (c, code) => {
        const wrong = code === '000000' ? '000001' : '000000';
        for (let i = 0; i < EMAIL_CODE_MAX_ATTEMPTS; i++) await c.redeem('a1', 'verify_email', wrong).catch(() => {});
        return c.redeem('a1', 'verify_email', code);
      },
      expect: 'code.too_many_attempts',
    },
    {
      name: 'a new code replaces the old one',
      act: async (c, code) => {
        await c.issue('a1', 'verify_email', 'ann@example.com');
        return c.redeem('a1', 'verify_email', code);
      },
      expect: 'code.invalid',
    },
    { name: 'another account can\'t use it', act: (c, code) => c.redeem('b2', 'verify_email', code), expect: 'code.expired' },
    { name: 'another purpose can\'t use it', act: (c, code) => c.redeem('a1', 'change_email', code), expect: 'code.expired' },
    { name: 'non-digits never match', act: (c) => c.redeem('a1', 'verify_email', 'abcdef'), expect: 'code.invalid' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      now = Date.UTC(2026, 0, 1);
      const { store } = memoryStore();
      const codes = createEmailCodes({ store, secret, clock });
      const { code } = await codes.issue('a1', 'verify_email', 'ann@example.com');
      const outcome = await c.act(codes, code).then(
        (email) => (email === 'ann@example.com' ? 'ok' : `unexpected ${String(email)}`),
        codeOf,
      );
      assert.equal(outcome, c.expect);
    });
  }

  it('eight parallel guesses spend the five attempts; the rest are refused before comparing', async () => {
    now = Date.UTC(2026, 0, 1);
    const { store } = memoryStore();
    const codes = createEmailCodes({ store, secret, clock });
    const { code } = await codes.issue('a1', 'verify_email', 'ann@example.com');
    const wrong = code === '999999' ? '999998' : '999999';
    const results = await Promise.all(Array.from({ length: 8 }, () => codes.redeem('a1', 'verify_email', wrong).catch(codeOf)));
    assert.equal(results.filter((r) => r === 'code.invalid').length, 4, results.join());
    assert.equal(results.filter((r) => r === 'code.too_many_attempts').length, 4, results.join());
    assert.equal(await codes.redeem('a1', 'verify_email', code).catch(codeOf), 'code.too_many_attempts');
  });
});
