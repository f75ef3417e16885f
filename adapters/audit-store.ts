// Writes audit events to the audit_events table, each linked into its organization's hash chain, and
// reads them back for the admin API, the profile and `gatehouse audit verify`.
import type { Knex } from 'knex';
import type { AuditEvent, AuditFilter, AuditLog, AuditReader, StoredAuditEvent } from '../accounts/audit.ts';
import { chainOf, createChainVerifier, hashEvent, type ChainBreak } from '../accounts/audit-chain.ts';
import { isUuid } from './account-store.ts';

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

export function createKnexAuditLog(knex: Knex): AuditLog & AuditReader & { verify(): Promise<AuditVerification> } {
  /** Events about an account belong to the account's organization when the caller did not say (sign-ins). */
  async function organizationOfAccount(trx: Knex.Transaction, event: AuditEvent): Promise<string | null> {
    for (const candidate of [event.target, event.actor]) {
      if (!candidate || !isUuid(candidate)) continue;
      const row = await trx('memberships as m')
        .join('organizations as o', 'o.id', 'm.organization_id')
        .where('m.account_id', candidate)
        .first(trx.raw('coalesce(o.root_id, o.id) as root'));
      if (row) return row.root;
    }
    return null;
  }

  return {
    async record(event) {
      await knex.transaction(async (trx) => {
        const organizationId = event.organizationId !== undefined ? event.organizationId : await organizationOfAccount(trx, event);
        const chain = chainOf(organizationId);
        // One writer per chain at a time: the head row is the lock, created on first use.
        await trx('audit_chain_heads').insert({ chain, length: 0 }).onConflict('chain').ignore();
        const head = await trx('audit_chain_heads').where({ chain }).forUpdate().first('last_hash', 'length');
        const fields = {
          occurredAt: new Date(),
          actor: event.actor ?? null,
          action: event.action,
          target: event.target ?? null,
          organizationId: organizationId ?? null,
          ip: event.ip?.slice(0, 64) ?? null,
          userAgent: event.userAgent?.slice(0, 400) ?? null,
          outcome: event.outcome,
          // Stored as JSON and read back: hash exactly what the database will return.
          details: event.details ? (JSON.parse(JSON.stringify(event.details)) as Record<string, unknown>) : null,
        };
        const prevHash: string | null = head?.last_hash ?? null;
        const hash = hashEvent(fields, chain, prevHash);
        const [row] = await trx('audit_events')
          .insert({
            occurred_at: fields.occurredAt,
            actor: fields.actor,
            action: fields.action,
            target: fields.target,
            organization_id: fields.organizationId,
            ip: fields.ip,
            user_agent: fields.userAgent,
            outcome: fields.outcome,
            details: fields.details ? JSON.stringify(fields.details) : null,
            chain,
            prev_hash: prevHash,
            hash,
          })
          .returning('id');
        await trx('audit_chain_heads')
          .where({ chain })
          .update({ last_id: row.id, last_hash: hash, length: Number(head?.length ?? 0) + 1 });
      });
    },

    async query(filter: AuditFilter) {
      const q = knex('audit_events').where('organization_id', filter.organizationId);
      if (filter.actor) q.andWhere('actor', filter.actor);
      if (filter.target) q.andWhere('target', filter.target);
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
        .where({ target: accountId, action: 'session.sign_in' })
        .orderBy('id', 'desc')
        .limit(limit)
        .select('*');
      return rows.map(toEvent);
    },

    async verify() {
      const heads: { chain: string; last_hash: string | null; length: string | number }[] = await knex('audit_chain_heads').select('*');
      const chainRows: { chain: string | null }[] = await knex('audit_events').distinct('chain');
      const chains = [...new Set([...heads.map((h) => h.chain), ...chainRows.map((r) => r.chain ?? '(none)')])].sort();
      const breaks: ChainBreak[] = [];
      let events = 0;
      for (const chain of chains) {
        const verifier = createChainVerifier(chain);
        let after: string | number = 0;
        let broken: ChainBreak | undefined;
        for (;;) {
          const q = knex('audit_events').where('id', '>', after).orderBy('id').limit(VERIFY_PAGE).select('*');
          if (chain === '(none)') q.whereNull('chain');
          else q.where({ chain });
          const rows: EventRow[] = await q;
          for (const row of rows) {
            events += 1;
            broken ??= chain === '(none)'
              ? { chain, eventId: String(row.id), reason: 'the event is not linked into any chain' }
              : verifier.check(toEvent(row));
          }
          if (rows.length < VERIFY_PAGE) break;
          after = rows[rows.length - 1].id;
        }
        const head = heads.find((h) => h.chain === chain);
        broken ??= verifier.finish(head ? { lastHash: head.last_hash, length: Number(head.length) } : undefined);
        if (broken) breaks.push(broken);
      }
      return { chains: chains.length, events, breaks };
    },
  };
}
