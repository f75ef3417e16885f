// Sending one email as part of a user's action. When the mail server refuses, the caller undoes
// what it prepared (see each caller), the failure is audited, and the person gets one clear
// message to try again.
import type { AuditEvent, AuditLog } from './audit.ts';
import { DomainError } from './errors.ts';
import type { ComposedEmail } from './email-messages.ts';
import type { Mailer } from './mailer.ts';

export class MailDeliveryError extends DomainError {
  readonly reason: unknown;
  constructor(reason: unknown) {
    super('mail.send_failed', { status: 503 });
    this.reason = reason;
  }
}

export type ErrorLogger = { error(details: object, message: string): void };

export async function deliver(
  deps: { mailer: Mailer; audit: AuditLog; logger?: ErrorLogger },
  to: string,
  email: ComposedEmail,
  /** The audit event of the action; on failure it is recorded with outcome 'failure'. */
  event: AuditEvent,
): Promise<void> {
  try {
    await deps.mailer.send({ to, ...email });
  } catch (err) {
    deps.logger?.error({ err, action: event.action }, 'email could not be sent');
    await deps.audit.record({ ...event, outcome: 'failure', details: { ...event.details, reason: 'mail_failed' } });
    throw new MailDeliveryError(err);
  }
}
