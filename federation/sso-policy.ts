// "SSO required": an organization that enforces single sign-on refuses local passwords of its members
// (service accounts excepted), with the reference product's advice: sign in through your identity
// provider, or enter your organization's domain name first. Checked after the password was found valid,
// as the reference describes ("rejects your valid credentials").
import type { FederationStore } from './federation-store.ts';
import type { Message } from '../accounts/messages/language.ts';

export const SSO_REQUIRED_MESSAGE = { code: 'session.sso_required', level: 'error' } satisfies Message;

export function createSsoPolicy(deps: { store: FederationStore }) {
  return {
    /** The refusal for a local sign-in of this account, or undefined when its password may be used. */
    async localSignInRefusal(accountId: string): Promise<typeof SSO_REQUIRED_MESSAGE | undefined> {
      const account = await deps.store.localSignInFacts(accountId);
      if (!account?.organizationId || account.serviceAccount) return undefined;
      return account.ssoRequired ? SSO_REQUIRED_MESSAGE : undefined;
    },

    /** SSO accounts have no Gatehouse password: their IdP handles MFA, and they never get Gatehouse's. */
    async isSsoAccount(accountId: string): Promise<boolean> {
      const account = await deps.store.accountFacts(accountId);
      return Boolean(account && !account.hasPassword);
    },
  };
}

export type SsoPolicy = ReturnType<typeof createSsoPolicy>;
