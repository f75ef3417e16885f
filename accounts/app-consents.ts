// Consent a person gave an application, remembered across sessions until they remove it from
// "Apps with access" (/account/apps). A new sign-in to the app starts from the remembered scopes,
// so only a scope never granted before is asked for. Removing access also revokes the app's grants
// and refresh tokens for that person, and is audited.
import type { AuditLog } from './audit.ts';
import { notFound } from './access.ts';

export type AppConsent = { clientId: string; clientName: string; scopes: string[]; claims: string[]; grantedAt: Date; updatedAt: Date };

export type AppConsentStore = {
  find(accountId: string, clientId: string): Promise<AppConsent | undefined>;
  /** Adds scopes and claims to what the person granted (creating the record the first time). */
  remember(accountId: string, clientId: string, scopes: string[], claims: string[]): Promise<void>;
  list(accountId: string): Promise<AppConsent[]>;
  forget(accountId: string, clientId: string): Promise<boolean>;
};

export function createAppAccess(deps: {
  store: AppConsentStore;
  audit: AuditLog;
  /** Revokes the person's grants, tokens and session entries for the app. */
  revoke(accountId: string, clientId: string): Promise<number>;
}) {
  return {
    list: (accountId: string) => deps.store.list(accountId),
    async remove(accountId: string, clientId: string, request: { ip?: string; userAgent?: string }) {
      const consent = await deps.store.find(accountId, clientId);
      if (!consent) throw notFound('app_access');
      await deps.store.forget(accountId, clientId);
      const grants = await deps.revoke(accountId, clientId);
      await deps.audit.record({
        actor: accountId,
        action: 'consent.revoke',
        target: clientId,
        outcome: 'success',
        ip: request.ip,
        userAgent: request.userAgent,
        details: { scopes: consent.scopes, grants },
      });
      return consent;
    },
  };
}

export type AppAccess = ReturnType<typeof createAppAccess>;
