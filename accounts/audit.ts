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
