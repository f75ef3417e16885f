// Ending an account's sessions and revoking its grants (refresh and access tokens) after a
// password reset or change. Implemented over the provider's state by adapters/account-state-index.ts.
export type SessionRevoker = {
  /** Ends every session and grant of the account, except those of `keepSessionUid` (the person's own). */
  revokeAccount(accountId: string, options?: { keepSessionUid?: string }): Promise<{ sessions: number; grants: number }>;
};
