// Writes audit events to the audit_events table.
import type { Knex } from 'knex';
import type { AuditLog } from '../accounts/audit.ts';

export function createKnexAuditLog(knex: Knex): AuditLog {
  return {
    async record(event) {
      await knex('audit_events').insert({
        actor: event.actor ?? null,
        action: event.action,
        target: event.target ?? null,
        organization_id: event.organizationId ?? null,
        ip: event.ip?.slice(0, 64) ?? null,
        user_agent: event.userAgent?.slice(0, 400) ?? null,
        outcome: event.outcome,
        details: event.details ? JSON.stringify(event.details) : null,
      });
    },
  };
}
