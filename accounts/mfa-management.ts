// Changes to a person's verification methods (their own, from the profile, or an administrator's
// reset). Every change is audited and, when mail is available, the person is told by email.
import type { AccountStore } from './account.ts';
import type { MessageCode } from './messages/language.ts';
import type { AuditAction, AuditLog } from './audit.ts';
import type { Message } from './messages/language.ts';
import type { EmailMessages } from './email-messages.ts';
import { DomainError } from './errors.ts';
import type { Mailer } from './mailer.ts';
import { generateRecoveryCodes } from './recovery-codes.ts';
import { validMethodName, type MethodNames, type MfaMethod, type MfaStore } from './mfa.ts';
import { soleMethodRefusal } from './mfa-policy.ts';
import type { SessionRevoker } from './session-revocation.ts';

/** Each method kind's label is a catalog entry (`mfa.kind.<kind>`), added with the method. */
const kindLabel = (kind: string) => `mfa.kind.${kind}` as MessageCode;

export type ChangeContext = { actor: string; ip?: string; userAgent?: string };

export function createMfaManagement(deps: {
  mfa: MfaStore;
  accounts: AccountStore;
  audit: AuditLog;
  mailer: Mailer;
  messages: Pick<EmailMessages, 'mfaChanged'>;
  recoveryDigest: (code: string) => string;
  /** Labels and traits of method kinds (the method registry). */
  names: MethodNames;
  sessions?: SessionRevoker;
  accountUrl: string;
  logger?: { warn(details: object, message: string): void };
}) {
  const { mfa, audit } = deps;

  async function record(accountId: string, action: AuditAction, context: ChangeContext, details: Record<string, unknown>, change: Message) {
    const account = await deps.accounts.findById(accountId);
    await audit.record({
      actor: context.actor,
      action,
      target: accountId,
      organizationId: account?.organization?.id ?? null,
      outcome: 'success',
      details,
      ip: context.ip,
      userAgent: context.userAgent,
    });
    if (!account) return;
    // The change has happened; a failed notice must not undo it, so it is logged, not thrown.
    try {
      await deps.mailer.send({ to: account.email, ...deps.messages.mfaChanged({ language: account.language, username: account.username, change, accountUrl: deps.accountUrl }) });
    } catch (err) {
      deps.logger?.warn({ err, action }, 'MFA change notice could not be emailed');
    }
  }

  return {
    list: (accountId: string) => mfa.listMethods(accountId),
    recoveryCodesLeft: (accountId: string) => mfa.countRecoveryCodes(accountId),

    async added(method: MfaMethod, context: ChangeContext) {
      await record(method.accountId, 'mfa.method_added', context, { kind: method.kind, method_id: method.id },
        { code: 'mfa.change.added', vars: { name: method.name, kind: { code: kindLabel(method.kind) } } });
    },

    async rename(accountId: string, methodId: string, name: string, context: ChangeContext) {
      const clean = validMethodName(name);
      if (!(await mfa.rename(accountId, methodId, clean))) throw new DomainError('mfa.not_found', { status: 404 });
      await record(accountId, 'mfa.method_renamed', context, { method_id: methodId }, { code: 'mfa.change.renamed', vars: { name: clean } });
    },

    async remove(accountId: string, methodId: string, context: ChangeContext) {
      const method = await mfa.findMethod(accountId, methodId);
      // Local accounts reset their password by email: an emailed code can't be left as the only method.
      const remaining = (await mfa.listMethods(accountId)).filter((m) => m.id !== methodId);
      const refusal = method ? soleMethodRefusal(remaining.map((m) => deps.names.traits(m.kind)), true) : undefined;
      if (refusal) throw refusal;
      const result = await mfa.remove(accountId, methodId);
      if (result === 'not_found' || !method) throw new DomainError('mfa.not_found', { status: 404 });
      if (result === 'last_method') {
        throw new DomainError('mfa.last_method', { status: 409 });
      }
      await record(accountId, 'mfa.method_removed', context, { kind: method.kind, method_id: methodId },
        { code: 'mfa.change.removed', vars: { name: method.name, kind: { code: kindLabel(method.kind) } } });
    },

    /** New recovery codes; the old ones stop working. Returns the codes to show once. */
    async regenerateRecoveryCodes(accountId: string, context: ChangeContext) {
      if ((await mfa.listMethods(accountId)).length === 0) {
        throw new DomainError('mfa.no_method', { status: 409 });
      }
      const codes = generateRecoveryCodes();
      await mfa.replaceRecoveryCodes(accountId, codes.map(deps.recoveryDigest));
      await record(accountId, 'mfa.recovery_codes_regenerated', context, {}, { code: 'mfa.change.recovery_codes' });
      return codes;
    },

    /** Administrator action: every method and code removed, sessions ended; the next sign-in enrols anew. */
    async reset(accountId: string, context: ChangeContext) {
      const removed = await mfa.removeAll(accountId);
      const revoked = deps.sessions ? await deps.sessions.revokeAccount(accountId) : { sessions: 0, grants: 0 };
      await record(accountId, 'mfa.reset', context, { removed, ...revoked },
        { code: 'mfa.change.reset' });
    },
  };
}

export type MfaManagement = ReturnType<typeof createMfaManagement>;
