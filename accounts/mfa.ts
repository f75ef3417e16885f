// Multi-factor methods: kinds, the store contract, and the rules that don't depend on I/O.
import { DomainError } from './errors.ts';

/** Method kinds a person can register, in the order "Try another method" lists them. */
export const MFA_KINDS = ['totp', 'platform', 'security_key', 'push'] as const;
export type MfaKind = (typeof MFA_KINDS)[number];

export const MFA_KIND_LABELS: Record<MfaKind, string> = {
  totp: 'Authenticator app',
  platform: 'Built-in authenticator',
  security_key: 'Security key',
  push: 'Gatehouse Authenticator app',
};

/** RFC 8176 amr values each kind adds beside `mfa` (push: `user` approval on a key-holding device, documented in README). */
export const MFA_KIND_AMR: Record<MfaKind, string[]> = {
  totp: ['otp'],
  platform: ['swk', 'user'],
  security_key: ['hwk'],
  push: ['swk', 'user'],
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
