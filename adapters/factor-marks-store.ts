// Factor marks (when password / MFA were last proven) per provider session, kept in the same
// store as the provider's sessions (Redis or SQL) with the session's absolute lifetime.
import type { FactorMarks, FactorMarksStore } from '../accounts/reauthentication.ts';
import type { StateAdapter as SharedStateAdapter } from './state-adapter.ts';

type StateAdapter = Pick<SharedStateAdapter, 'upsert' | 'find'>;

export function createFactorMarksStore(stateAdapter: (model: string) => StateAdapter, ttlSeconds: number): FactorMarksStore {
  const adapter = stateAdapter('FactorMarks');
  return {
    async get(sessionUid) {
      const found = await adapter.find(sessionUid);
      if (!found || typeof found.accountId !== 'string') return undefined;
      const time = (v: unknown) => (typeof v === 'number' ? v : null);
      return {
        accountId: found.accountId,
        passwordAt: time(found.passwordAt),
        mfaAt: time(found.mfaAt),
        identityId: typeof found.identityId === 'string' ? found.identityId : null,
        mfaMethod: typeof found.mfaMethod === 'string' ? found.mfaMethod : null,
      };
    },
    async put(sessionUid, marks: FactorMarks) {
      await adapter.upsert(sessionUid, { ...marks }, ttlSeconds);
    },
  };
}
