// The ordered registry of sign-in methods. Adding a method: one file, one line here,
// one view partial (views/templates/mfa/<kind>-*.njk), one test folder.
import type { AccountStore } from '../../accounts/account.ts';
import type { MethodNames, MfaStore } from '../../accounts/mfa.ts';
import type { PasswordHasher } from '../../accounts/password-hasher.ts';
import type { SecretBox } from '../../adapters/secret-box.ts';
import type { FlowStep } from '../login/flow.ts';
import type { MfaStrategy, SignInMethod } from './method.ts';
import { createPasswordMethod } from './password-method.ts';
import { createRecoveryCodeMethod } from './recovery-code-method.ts';
import { createTotpMethod } from './totp-method.ts';
import { createPushMethod } from './push-method.ts';
import type { PushStore } from '../../adapters/push-store.ts';
import { createWebAuthnMethod } from './webauthn-method.ts';
import { createEmailOtpMethod, type EmailOtpDependencies } from './email-otp/email-otp-method.ts';
import type { EmailCodes } from '../../accounts/email-codes.ts';
import type { Mailer } from '../../accounts/mailer.ts';
import type { AuditLog } from '../../accounts/audit.ts';
import { createUpstreamMethod } from './upstream-method.ts';
import type { FederatedSignIn } from '../../federation/federated-sign-in.ts';
import type { Linking } from '../../federation/linking.ts';
import type { SsoPolicy } from '../../federation/sso-policy.ts';

export type MethodDependencies = {
  accounts: AccountStore;
  hasher: PasswordHasher;
  mfa: MfaStore;
  box: SecretBox;
  recoveryDigest: (code: string) => string;
  issuerName: string;
  /** ISSUER: WebAuthn's relying party ID (its host name) and expected origin. */
  issuer: string;
  audit: AuditLog;
  clock?: () => number;
  /** Push approval's state and device index (without it, push is not offered). */
  pushStore?: PushStore;
  /** Emailed one-time codes (the email-OTP method); without them it is not offered. */
  emailCodes?: EmailCodes;
  mailer?: Mailer;
  logger?: EmailOtpDependencies['logger'];
  /** External IdPs (federation/); without it only local passwords sign in. */
  federation?: { signIn: FederatedSignIn; linking: Linking; ssoPolicy: SsoPolicy };
};

export function createMethodRegistry(deps: MethodDependencies) {
  const upstream = deps.federation ? createUpstreamMethod({ federation: deps.federation.signIn, linking: deps.federation.linking }) : undefined;
  const password = createPasswordMethod({ ...deps, ssoPolicy: deps.federation?.ssoPolicy });
  const firstFactors: SignInMethod[] = [...(upstream ? [upstream] : []), password];
  // Order matters: it is the order of "Try another method" and of the enrolment chooser.
  const secondFactors: MfaStrategy[] = [
    createTotpMethod(deps),
    createWebAuthnMethod({ ...deps, kind: 'platform', rpId: new URL(deps.issuer).hostname, origin: new URL(deps.issuer).origin, rpName: deps.issuerName }),
    createWebAuthnMethod({ ...deps, kind: 'security_key', rpId: new URL(deps.issuer).hostname, origin: new URL(deps.issuer).origin, rpName: deps.issuerName }),
    ...(deps.pushStore ? [createPushMethod({ ...deps, push: { store: deps.pushStore, serverUrl: deps.issuer } })] : []),
    ...(deps.emailCodes && deps.mailer ? [createEmailOtpMethod({ ...deps, codes: deps.emailCodes, mailer: deps.mailer })] : []),
    createRecoveryCodeMethod({ mfa: deps.mfa, digest: deps.recoveryDigest }),
  ];
  const mfa = (kind: string | undefined) => secondFactors.find((m) => m.kind === kind);
  const names: MethodNames = {
    label: (kind) => mfa(kind)?.label ?? kind,
    describe: (kind) => mfa(kind)?.describe() ?? kind,
    traits: (kind) => ({ kind, inbox: mfa(kind)?.inbox === true }),
  };
  return {
    firstFactors,
    secondFactors,
    /** The upstream IdP method, for the federation routes (callback, linking); undefined without federation. */
    upstream,
    /** The password method, for steps that prove a password outside the sign-in form (linking). */
    password,
    forStep: (step: FlowStep) => firstFactors.filter((m) => m.step === step),
    mfa,
    enrollable: () => secondFactors.filter((m) => m.enrolment),
    /** What the domain may know about a kind (emails, Sessions, "Logged In Via", the MFA policy). */
    names,
  };
}

export type MethodRegistry = ReturnType<typeof createMethodRegistry>;
