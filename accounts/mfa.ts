// Multi-factor methods: kinds, the store contract, and the rules that don't depend on I/O.
import { DomainError } from './errors.ts';

/**
 * A method kind is whatever the method registry knows (interactions/methods/registry.ts): each
 * method owns its kind, label and amr, so adding one edits nothing here.
 */
export type MfaKind = string;

/** What the domain may ask about a kind (emails, Sessions, "Logged In Via"); the registry answers. */
export type MethodNames = {
  /** "Authenticator app", "Email code", …; the kind itself when the registry doesn't know it. */
  label(kind: string): string;
  /** The second factor in a sentence: "authenticator app", "email code". */
  describe(kind: string): string;
  /** Its traits for the MFA policy (accounts/mfa-policy.ts), e.g. whether it delivers to the account's inbox. */
  traits(kind: string): { kind: string; inbox?: boolean };
};

export type MfaMethod = {
  id: string;
  accountId: string;
  kind: MfaKind;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  config: Record<string, unknown>;
};

export type MfaStore = {
  /** Methods of an account, oldest first: the first is the default. */
  listMethods(accountId: string): Promise<MfaMethod[]>;
  /** listMethods and countRecoveryCodes in one read (a sign-in's MFA context needs both). */
  listMethodsAndRecoveryCodes(accountId: string): Promise<{ methods: MfaMethod[]; recoveryCodes: number }>;
  findMethod(accountId: string, methodId: string): Promise<MfaMethod | undefined>;
  addMethod(accountId: string, kind: MfaKind, name: string, config: Record<string, unknown>): Promise<MfaMethod>;
  markUsed(methodId: string): Promise<void>;
  /** Atomically records a TOTP time step; false when it (or a later one) was already used (replay). */
  claimTotpStep(methodId: string, timeStep: number): Promise<boolean>;
  /** Atomically raises a WebAuthn signature counter; false when the new value does not exceed the stored one. */
  advanceSignCounter(methodId: string, counter: number): Promise<boolean>;
  rename(accountId: string, methodId: string, name: string): Promise<boolean>;
  /** Removes a method unless it is the account's last one. */
  remove(accountId: string, methodId: string): Promise<'removed' | 'last_method' | 'not_found'>;
  /** Replaces the account's recovery codes with these digests. */
  replaceRecoveryCodes(accountId: string, digests: string[]): Promise<void>;
  countRecoveryCodes(accountId: string): Promise<number>;
  /** Atomically deletes a matching unused code; true once per code. */
  consumeRecoveryCode(accountId: string, digest: string): Promise<boolean>;
  /** Removes every method and recovery code (administrator reset). */
  removeAll(accountId: string): Promise<number>;
};

export function validMethodName(name: string): string {
  const trimmed = name.replace(/\s+/g, ' ').trim();
  if (trimmed.length < 1 || trimmed.length > 60) {
    throw new DomainError('mfa.invalid_name', { field: 'name' });
  }
  return trimmed;
}
