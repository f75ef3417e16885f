// What the self-service features read and change about an account (contact info, email, lookups
// for forgotten credentials), and the store contract adapters/profile-store.ts implements.
import { DomainError, ValidationError, type RuleViolation, violation } from './errors.ts';
import { phoneViolations, toE164 } from './phone-number.ts';

export type ProfileAccount = {
  id: string;
  username: string;
  email: string;
  emailVerified: boolean;
  name: string | null;
  phoneNumber: string | null;
  /** True when the account has no Gatehouse password: it signs in through an external IdP. */
  sso: boolean;
  /** The person's remembered language (emails to them are written in it), null if never set. */
  language: string | null;
};

export type ProfileStore = {
  find(accountId: string): Promise<ProfileAccount | undefined>;
  /** The account a username names (case-insensitive), whatever the username looks like. */
  findByUsername(username: string): Promise<ProfileAccount | undefined>;
  /** Every account using this address (an address may be shared by many accounts). */
  findByEmail(email: string): Promise<ProfileAccount[]>;
  updateContact(accountId: string, contact: { name: string | null; phoneNumber: string | null }): Promise<void>;
  /** Replaces the address; `verified` says whether the new one was proven. */
  setEmail(accountId: string, email: string, verified: boolean): Promise<void>;
  /** Marks the address verified if it is still `email`; false when it changed meanwhile. */
  markEmailVerified(accountId: string, email: string): Promise<boolean>;
};

export const SSO_EMAIL_MANAGED = () =>
  new DomainError('email.managed_by_idp', { status: 403, field: 'email' });

/** Name and phone as typed on the Contact Info tab: name optional (≤ 200), phone optional but valid. */
export function contactChanges(input: { name?: string; phoneNumber?: string }): { name: string | null; phoneNumber: string | null } {
  const name = (input.name ?? '').trim();
  const phone = (input.phoneNumber ?? '').trim();
  const violations: RuleViolation[] = [];
  if (name.length > 200) violations.push(violation('name', 'name.too_long'));
  if (/[\x00-\x1f\x7f]/.test(name)) violations.push(violation('name', 'name.invalid_characters'));
  if (phone !== '') violations.push(...phoneViolations(phone));
  if (violations.length > 0) throw new ValidationError(violations);
  return { name: name === '' ? null : name, phoneNumber: phone === '' ? null : (toE164(phone) ?? null) };
}
