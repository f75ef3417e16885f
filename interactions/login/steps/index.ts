// The login steps every Gatehouse has (federation adds its own: interactions/federation-routes.ts).
import type { MfaManagement } from '../../../accounts/mfa-management.ts';
import type { MfaStore } from '../../../accounts/mfa.ts';
import type { LoginStep } from '../step.ts';
import { createConsentStep } from './consent.ts';
import { createCredentialsStep, type SignInLink } from './credentials.ts';
import { createMfaChallengeStep } from './mfa-challenge.ts';
import { createMfaEnrolStep } from './mfa-enrol.ts';
import { createMethodActionsStep } from './method-actions.ts';
import { createRecoveryCodesStep } from './recovery-codes.ts';
import { createVerifyEmailStep } from './verify-email.ts';

export function loginSteps(deps: {
  mfa: MfaStore;
  recoveryDigest: (code: string) => string;
  mfaChanges: Pick<MfaManagement, 'added'>;
  signInLinks?: SignInLink[];
}): LoginStep[] {
  return [
    createCredentialsStep(deps),
    createMfaChallengeStep(),
    createMfaEnrolStep(deps),
    createMethodActionsStep(),
    createRecoveryCodesStep(),
    createVerifyEmailStep(),
    createConsentStep(),
  ];
}
