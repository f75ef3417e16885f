// The audit log's hash chain: each event's hash covers its fields and the previous event's hash in
// the same chain (one chain per organization), so editing, deleting or reordering a stored event
// breaks every later link. `verifyChain` finds the first broken one.
import { createHash } from 'node:crypto';
import type { StoredAuditEvent } from './audit.ts';

/** Chain name of events that belong to no organization (e.g. a failed sign-in for an unknown username). */
export const GLOBAL_CHAIN = 'global';

export const chainOf = (organizationId: string | null | undefined) => organizationId ?? GLOBAL_CHAIN;

/** JSON with object keys sorted at every level, so the database's key order (jsonb) does not matter. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export type HashedFields = Omit<StoredAuditEvent, 'id' | 'hash' | 'prevHash' | 'chain'>;

export function hashEvent(event: HashedFields, chain: string, prevHash: string | null): string {
  const material = canonicalJson({
    v: 1,
    chain,
    prevHash,
    occurredAt: event.occurredAt.toISOString(),
    actor: event.actor,
    action: event.action,
    target: event.target,
    organizationId: event.organizationId,
    ip: event.ip,
    userAgent: event.userAgent,
    outcome: event.outcome,
    details: event.details,
  });
  return createHash('sha256').update(material).digest('hex');
}

export type ChainBreak = { chain: string; eventId: string | null; reason: string };

/**
 * Checks one chain's events, fed oldest first (in pages, so a long log never sits in memory), against
 * each other and, at the end, against the chain head (the last hash and the length recorded when the
 * newest event was written). Reports the first broken link.
 */
export function createChainVerifier(chain: string) {
  let prev: string | null = null;
  let count = 0;
  let lastId: string | null = null;
  return {
    check(event: StoredAuditEvent): ChainBreak | undefined {
      if (event.prevHash !== prev) {
        return {
          chain,
          eventId: event.id,
          reason: prev === null
            ? 'the first event links to a predecessor that is not there'
            : 'the link to the previous event does not match (an event before it was changed, removed or inserted)',
        };
      }
      if (event.hash !== hashEvent(event, chain, event.prevHash)) {
        return { chain, eventId: event.id, reason: 'the event does not match its hash (it was changed after it was written)' };
      }
      prev = event.hash;
      count += 1;
      lastId = event.id;
      return undefined;
    },
    finish(head: { lastHash: string | null; length: number } | undefined): ChainBreak | undefined {
      if (head && (head.lastHash !== prev || head.length !== count)) {
        return { chain, eventId: lastId, reason: 'the chain ends before its recorded head (the newest events were removed)' };
      }
      return undefined;
    },
  };
}
