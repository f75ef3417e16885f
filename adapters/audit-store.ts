// Writes audit events to the audit_events table, each linked into its organization's hash chain, and
// reads them back for the admin API, the profile and `gatehouse audit verify`.
import type { Knex } from 'knex';
import type { AuditEvent, AuditFilter, AuditLog, AuditReader, StoredAuditEvent } from '../accounts/audit.ts';
import { chainOf, createChainVerifier, hashEvent, type ChainBreak } from '../accounts/audit-chain.ts';
import { isUuid } from './account-store.ts';
import { compileQuery } from './compiled-query.ts';

type EventRow = {
  id: string | number;
  occurred_at: Date | string;
  actor: string | null;
  action: string;
  target: string | null;
  organization_id: string | null;
  ip: string | null;
  user_agent: string | null;
  outcome: StoredAuditEvent['outcome'];
  details: Record<string, unknown> | string | null;
  chain: string | null;
  prev_hash: string | null;
  hash: string | null;
};

const toEvent = (r: EventRow): StoredAuditEvent => ({
  id: String(r.id),
  occurredAt: new Date(r.occurred_at),
  actor: r.actor,
  action: r.action,
  target: r.target,
  organizationId: r.organization_id,
  ip: r.ip,
  userAgent: r.user_agent,
  outcome: r.outcome,
  details: typeof r.details === 'string' ? JSON.parse(r.details) : r.details,
  chain: r.chain,
  prevHash: r.prev_hash,
  hash: r.hash,
});

export type AuditVerification = { chains: number; events: number; breaks: ChainBreak[] };

const VERIFY_PAGE = 1000;
/** Events linked per chain per transaction: one UPDATE of this many rows. */
const LINK_BATCH = 500;
/**
 * A written event is linked this soon; the writes in between are linked together, in one run of a
 * few statements (at 30 sign-ins/s, one run per ~30 of them; 100 ms cost a run per ~3, bench/login-cost.ts).
 */
const LINK_DELAY_MS = 1000;
/** Unlinked events left by another process (a CLI, a process that died) are picked up this often. */
const LINK_SWEEP_MS = 5000;
/** pg advisory-lock class of the audit linker (the object id is the chain's hashtext). */
const LINK_LOCK_CLASS = 0x6175_6474; // 'audt'

export type KnexAuditLog = AuditLog & AuditReader & {
  verify(): Promise<AuditVerification>;
  /** Links every event written so far into its chain; resolves when done. */
  flush(): Promise<void>;
  /** Stops the background linker after linking what is pending. */
  close(): Promise<void>;
};

// Every sign-in records an event: one INSERT, compiled once (the linker chains it later).
const insertEvent = compileQuery((knex, param) =>
  knex('audit_events').insert({
    occurred_at: param(0),
    actor: param(1),
    action: param(2),
    target: param(3),
    organization_id: param(4),
    ip: param(5),
    user_agent: param(6),
    outcome: param(7),
    details: param(8),
    chain: param(9),
  }),
);

/**
 * Writes are one INSERT with no lock, so no organization's sign-ins queue behind each other. Linking
 * (prev_hash, hash, seq) happens shortly after, in batches, by whichever process holds the chain's
 * advisory lock. Between writing and linking (~LINK_DELAY_MS) an event is only as safe as the table;
 * once linked, changing, removing or reordering it breaks the chain. verify() links first.
 */
export function createKnexAuditLog(knex: Knex, options: { background?: boolean } = {}): KnexAuditLog {
  /** Events about an account belong to the account's organization when the caller did not say (sign-ins). */
  async function organizationOfAccount(event: AuditEvent): Promise<string | null> {
    for (const candidate of [event.target, event.actor]) {
      if (!candidate || !isUuid(candidate)) continue;
      const row = await knex('memberships as m')
        .join('organizations as o', 'o.id', 'm.organization_id')
        .where('m.account_id', candidate)
        .first(knex.raw('coalesce(o.root_id, o.id) as root'));
      if (row) return row.root;
    }
    return null;
  }

  /**
   * Links up to LINK_BATCH unlinked events of the given chains in one transaction (a run costs the
   * same few statements whether it links one organization's events or a hundred organizations').
   * Chains another process is linking are skipped (`wait` false) or waited for, locked in one order.
   * Returns how many events were linked; 0 when every chain was busy.
   */
  async function linkChains(chains: string[], wait: boolean): Promise<number> {
    const ordered = [...new Set(chains)].sort();
    if (!ordered.length) return 0;
    return knex.transaction(async (trx) => {
      const list = ordered.map(() => '(?)').join(', ');
      const locked: string[] = wait
        ? (await trx.raw(`select pg_advisory_xact_lock(?, hashtext(s.c)) from (select c from (values ${list}) as v(c) order by c) as s`, [LINK_LOCK_CLASS, ...ordered]), ordered)
        : (await trx.raw(`select s.c, pg_try_advisory_xact_lock(?, hashtext(s.c)) as ok from (select c from (values ${list}) as v(c) order by c) as s`, [LINK_LOCK_CLASS, ...ordered])).rows
            .filter((r: { ok: boolean }) => r.ok)
            .map((r: { c: string }) => r.c);
      if (!locked.length) return 0;
      const pending: EventRow[] = await trx('audit_events').whereIn('chain', locked).whereNull('seq').orderBy('id').limit(LINK_BATCH).select('*');
      if (!pending.length) return 0;
      const present = [...new Set(pending.map((row) => row.chain as string))];
      // The heads, a new chain's made empty, in one statement: the inserted rows come back from
      // RETURNING, the ones there before from the table (the chains are locked: no one else writes them).
      const chainList = present.map(() => '?').join(', ');
      const headRows: { chain: string; last_hash: string | null; length: string | number | null }[] = (await trx.raw(
        `with added as (
           insert into audit_chain_heads (chain, length) values ${present.map(() => '(?, 0)').join(', ')}
           on conflict (chain) do nothing
           returning chain, last_hash, length
         )
         select chain, last_hash, length from added
         union all
         select chain, last_hash, length from audit_chain_heads where chain in (${chainList})`,
        [...present, ...present],
      )).rows;
      const heads = new Map<string, { prevHash: string | null; seq: number; lastId?: string }>();
      for (const head of headRows) {
        heads.set(head.chain, { prevHash: head.last_hash ?? null, seq: Number(head.length ?? 0) });
      }
      const links = pending.map((row) => {
        const head = heads.get(row.chain as string)!;
        const hash = hashEvent(toEvent(row), row.chain as string, head.prevHash);
        const link = { id: String(row.id), seq: ++head.seq, prevHash: head.prevHash, hash };
        head.prevHash = hash;
        head.lastId = link.id;
        return link;
      });
      const moved = [...heads].filter(([, head]) => head.lastId !== undefined);
      // The events' links and their chains' new heads in one statement (two tables, one round trip).
      await trx.raw(
        `with linked as (
           update audit_events e set seq = v.seq::bigint, prev_hash = v.prev_hash, hash = v.hash
           from (values ${links.map(() => '(?, ?, ?, ?)').join(', ')}) as v(id, seq, prev_hash, hash)
           where e.id = v.id::bigint
         )
         update audit_chain_heads h set last_id = v.last_id::bigint, last_hash = v.last_hash, length = v.length::bigint
         from (values ${moved.map(() => '(?, ?, ?, ?)').join(', ')}) as v(chain, last_id, last_hash, length)
         where h.chain = v.chain`,
        [...links.flatMap((l) => [l.id, l.seq, l.prevHash, l.hash]), ...moved.flatMap(([chain, head]) => [chain, head.lastId!, head.prevHash, head.seq])],
      );
      return links.length;
    });
  }

  /** Links every unlinked event of every chain (wait: also chains another process is linking). */
  async function linkPending(wait: boolean): Promise<void> {
    for (;;) {
      const chains: { chain: string }[] = await knex('audit_events').whereNull('seq').whereNotNull('chain').distinct('chain');
      if (!chains.length) return;
      const linked = await linkChains(chains.map((c) => c.chain), wait);
      // Fewer than a batch: every chain it locked is linked up to the run's start (events written
      // since have scheduled the next run). None: the rest belongs to another process's linker now.
      if (linked < LINK_BATCH) return;
    }
  }

  // One link run at a time per process; writes during a run are linked by the next one.
  let running: Promise<void> | undefined;
  let scheduled: NodeJS.Timeout | undefined;
  let closed = false;
  const run = (wait: boolean): Promise<void> => {
    const previous = running ?? Promise.resolve();
    const next = previous.then(() => linkPending(wait)).catch(() => {
      // A failed run (database briefly away) leaves events unlinked; the sweep retries.
    });
    running = next.finally(() => {
      if (running === next) running = undefined;
    });
    return next;
  };
  const schedule = () => {
    if (closed || scheduled || options.background === false) return;
    scheduled = setTimeout(() => {
      scheduled = undefined;
      void run(false);
    }, LINK_DELAY_MS);
    scheduled.unref();
  };
  const sweep = options.background === false ? undefined : setInterval(() => void run(false), LINK_SWEEP_MS);
  sweep?.unref();

  return {
    async record(event) {
      const organizationId = event.organizationId !== undefined ? event.organizationId : await organizationOfAccount(event);
      await insertEvent(knex, [
        new Date(),
        event.actor ?? null,
        event.action,
        event.target ?? null,
        organizationId ?? null,
        event.ip?.slice(0, 64) ?? null,
        event.userAgent?.slice(0, 400) ?? null,
        event.outcome,
        event.details ? JSON.stringify(event.details) : null,
        chainOf(organizationId),
      ]);
      schedule();
    },

    async flush() {
      await run(true);
    },

    async close() {
      closed = true;
      if (scheduled) clearTimeout(scheduled);
      if (sweep) clearInterval(sweep);
      await run(false);
    },

    async query(filter: AuditFilter) {
      const q = knex('audit_events').where('organization_id', filter.organizationId);
      if (filter.actor) q.andWhere('actor', filter.actor);
      if (filter.target) q.andWhere('target', filter.target);
      if (filter.account) q.andWhere((w) => w.where('actor', filter.account!).orWhere('target', filter.account!));
      if (filter.action) {
        if (filter.action.endsWith('.')) q.andWhere('action', 'like', `${filter.action.replace(/[\\%_]/g, '\\$&')}%`);
        else q.andWhere('action', filter.action);
      }
      if (filter.outcome) q.andWhere('outcome', filter.outcome);
      if (filter.from) q.andWhere('occurred_at', '>=', filter.from);
      if (filter.to) q.andWhere('occurred_at', '<', filter.to);
      if (filter.before) q.andWhere('id', '<', filter.before);
      const rows: EventRow[] = await q.orderBy('id', 'desc').limit(filter.limit).select('*');
      return rows.map(toEvent);
    },

    async signInsOf(accountId, limit) {
      const rows: EventRow[] = await knex('audit_events')
        .where({ target: accountId })
        .whereIn('action', ['session.sign_in', 'session.mfa'])
        .orderBy('id', 'desc')
        .limit(limit)
        .select('*');
      return rows.map(toEvent);
    },

    async verify() {
      await run(true);
      const heads: { chain: string; last_hash: string | null; length: string | number }[] = await knex('audit_chain_heads').select('*');
      const chainRows: { chain: string | null }[] = await knex('audit_events').distinct('chain');
      const chains = [...new Set([...heads.map((h) => h.chain), ...chainRows.map((r) => r.chain ?? '(none)')])].sort();
      const breaks: ChainBreak[] = [];
      let events = 0;
      for (const chain of chains) {
        const verifier = createChainVerifier(chain);
        let after = 0;
        let broken: ChainBreak | undefined;
        for (;;) {
          // In chain order (seq); an event without a chain has no order to check.
          const q = chain === '(none)'
            ? knex('audit_events').whereNull('chain').where('id', '>', after).orderBy('id')
            : knex('audit_events').where({ chain }).where('seq', '>', after).orderBy('seq');
          const rows: (EventRow & { seq: string | number | null })[] = await q.limit(VERIFY_PAGE).select('*');
          for (const row of rows) {
            events += 1;
            broken ??= chain === '(none)'
              ? { chain, eventId: String(row.id), reason: 'the event is not linked into any chain' }
              : verifier.check(toEvent(row));
          }
          if (rows.length < VERIFY_PAGE) break;
          const last = rows[rows.length - 1];
          after = Number(chain === '(none)' ? last.id : last.seq);
        }
        // Rows of a chain still without a position were inserted outside Gatehouse during verify, or a link run failed.
        if (chain !== '(none)' && !broken) {
          const stray = await knex('audit_events').where({ chain }).whereNull('seq').first('id');
          if (stray) broken = { chain, eventId: String(stray.id), reason: 'the event is not linked into its chain' };
        }
        const head = heads.find((h) => h.chain === chain);
        broken ??= verifier.finish(head ? { lastHash: head.last_hash, length: Number(head.length) } : undefined);
        if (broken) breaks.push(broken);
      }
      return { chains: chains.length, events, breaks };
    },
  };
}
