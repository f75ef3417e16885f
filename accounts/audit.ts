// The audit API every feature calls. Events record who did what to whom, where, and how it ended.
import type { AuditAction as CatalogAuditAction } from './messages/language.ts';

/** An audit action: a catalog entry `audit.<action>`, or `api.<operationId>` for a refused API call. */
export type AuditAction = CatalogAuditAction | `api.${string}`;

export type AuditOutcome = 'success' | 'failure' | 'denied';

export type AuditEvent = {
  /** Account id, client id (for connected apps) or 'system'. */
  actor?: string | null;
  /** Namespaced verb from the catalog (`audit.<action>`), e.g. 'session.sign_in'; `api.<operation>` for refused API calls. */
  action: AuditAction;
  target?: string | null;
  organizationId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  outcome: AuditOutcome;
  /** Small structured context; never secrets, passwords, codes or tokens. */
  details?: Record<string, unknown>;
};

export type AuditLog = { record(event: AuditEvent): Promise<void> };

/** An event as stored: the recorded fields plus id, time and its place in the organization's hash chain. */
export type StoredAuditEvent = {
  id: string;
  occurredAt: Date;
  actor: string | null;
  action: string;
  target: string | null;
  organizationId: string | null;
  ip: string | null;
  userAgent: string | null;
  outcome: AuditOutcome;
  details: Record<string, unknown> | null;
  chain: string | null;
  prevHash: string | null;
  hash: string | null;
};

export type AuditFilter = {
  organizationId: string;
  actor?: string;
  target?: string;
  /** An account that is the actor or the target (the Audit Log's username filter). */
  account?: string;
  /** Exact action, or a namespace prefix ending in '.' ("session." → every session event). */
  action?: string;
  outcome?: AuditOutcome;
  from?: Date;
  to?: Date;
  /** Keyset pagination: events older than this id (newest first). */
  before?: string;
  limit: number;
};

/** Reading the log: admin queries (always within one organization) and a person's own sign-ins. */
export type AuditReader = {
  query(filter: AuditFilter): Promise<StoredAuditEvent[]>;
  /** Sign-in events whose target is the account (successes, failed passwords and failed second factors), newest first. */
  signInsOf(accountId: string, limit: number): Promise<StoredAuditEvent[]>;
};

/** What an actor or target id names, for people reading the log. */
export type AuditName = { kind: 'user' | 'app' | 'identity_provider'; name: string };

/** Names for the ids in an organization's events: usernames, app names, identity provider names. */
export type AuditNames = {
  resolve(organizationId: string, ids: (string | null)[]): Promise<Map<string, AuditName>>;
  /** The account with this username (case-insensitive), for the username filter. */
  accountIdOf(username: string): Promise<string | undefined>;
};

/** The names of an event's actor and target, null when the id names nothing we know. */
export function namedEvent<E extends { actor: string | null; target: string | null }>(e: E, names: Map<string, AuditName>) {
  const name = (id: string | null) => (id ? (names.get(id) ?? null) : null);
  return { ...e, actorName: name(e.actor)?.name ?? null, actorKind: name(e.actor)?.kind ?? null, targetName: name(e.target)?.name ?? null, targetKind: name(e.target)?.kind ?? null };
}

export type SignInRecord = { at: Date; outcome: AuditOutcome; ip: string | null; userAgent: string | null; method: string | null; action: string; reason: string | null };

/**
 * "to ensure no unauthorized access has occurred": a person's own recent sign-ins, successful and
 * failed, for the profile page.
 */
export async function recentSignIns(reader: AuditReader, accountId: string, limit = 10): Promise<SignInRecord[]> {
  const events = await reader.signInsOf(accountId, limit);
  return events.map((e) => ({
    at: e.occurredAt,
    outcome: e.outcome,
    ip: e.ip,
    userAgent: e.userAgent,
    method: typeof e.details?.method === 'string' ? e.details.method : Array.isArray(e.details?.amr) ? (e.details.amr as string[]).join('+') : null,
    action: e.action,
    reason: typeof e.details?.reason === 'string' ? e.details.reason : null,
  }));
}
