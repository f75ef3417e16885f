// Which step a login goes to next. Rules: MFA is mandatory for local sign-ins (exempt service
// accounts excepted); an account without a method enrols one first; a re-authentication whose
// MFA is still inside its 8-hour window needs the password only.
import type { AccountWithOrganization } from '../accounts/account.ts';
import type { FactorMarks } from '../accounts/reauthentication.ts';
import { reauthenticationRequired } from '../accounts/reauthentication.ts';
import type { MfaMethod } from '../accounts/mfa.ts';
import type { Flow } from './flow.ts';

export function usesMfa(account: Pick<AccountWithOrganization, 'serviceAccount' | 'mfaExempt'>): boolean {
  return !(account.serviceAccount && account.mfaExempt);
}

/** After the password: challenge, enrol, or done. Mutates the flow's step (and default MFA kind). */
export function stepAfterPassword(
  flow: Flow,
  account: AccountWithOrganization,
  methods: MfaMethod[],
  previous: FactorMarks | undefined,
  now: number,
) {
  if (!usesMfa(account)) {
    flow.step = 'complete';
    return;
  }
  if (flow.reauth && previous?.accountId === account.id && previous.mfaAt !== null) {
    const needed = reauthenticationRequired({ passwordAt: now, mfaAt: previous.mfaAt, usesMfa: true, now });
    if (needed === 'none') {
      flow.mfaAt = previous.mfaAt; // the earlier MFA still counts for the 8-hour window
      flow.step = 'complete';
      return;
    }
  }
  if (methods.length === 0) {
    flow.step = 'mfa_enrol';
    flow.enrolKind = undefined;
    return;
  }
  flow.step = 'mfa_challenge';
  flow.mfaKind = methods[0].kind;
}
