// The audit API every feature calls. Events record who did what to whom, where, and how it ended.
export type AuditOutcome = 'success' | 'failure' | 'denied';

export type AuditEvent = {
  /** Account id, client id (for connected apps) or 'system'. */
  actor?: string | null;
  /** Namespaced verb, e.g. 'session.sign_in', 'token.revoke'. */
  action: string;
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
  /** Sign-in events whose target is the account, newest first. */
  signInsOf(accountId: string, limit: number): Promise<StoredAuditEvent[]>;
};

export type SignInRecord = { at: Date; outcome: AuditOutcome; ip: string | null; userAgent: string | null; method: string | null };

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
  }));
}
