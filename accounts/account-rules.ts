// Sign-up rules from the reference pages, one function per field, each returning the rules broken.
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './security-constants.ts';
import { violation, type RuleViolation } from './errors.ts';

const USERNAME_PATTERN = /^[A-Za-z0-9_-]+$/;
/** Printable ASCII, space through tilde. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const EMAIL_PATTERN = /^[^\s@"<>()[\]\\,;:]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

export function usernameViolations(username: string): RuleViolation[] {
  const v: RuleViolation[] = [];
  if (username.length < 3) {
    v.push(violation('username', 'username.too_short'));
  }
  if (username.length > 100) {
    v.push(violation('username', 'username.too_long'));
  }
  if (username.length > 0 && !USERNAME_PATTERN.test(username)) {
    v.push(violation('username', 'username.invalid_characters'));
  }
  return v;
}

export function passwordViolations(password: string): RuleViolation[] {
  const v: RuleViolation[] = [];
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
    v.push(violation('password', 'password.length', { min: PASSWORD_MIN_LENGTH, max: PASSWORD_MAX_LENGTH }));
  }
  if (!/[A-Z]/.test(password)) v.push(violation('password', 'password.missing_uppercase'));
  if (!/[a-z]/.test(password)) v.push(violation('password', 'password.missing_lowercase'));
  if (!/[0-9]/.test(password)) v.push(violation('password', 'password.missing_number'));
  if (!PRINTABLE_ASCII.test(password)) v.push(violation('password', 'password.invalid_characters'));
  return v;
}

export function emailViolations(email: string): RuleViolation[] {
  if (email.length > 254 || !EMAIL_PATTERN.test(email)) {
    return [violation('email', 'email.invalid')];
  }
  return [];
}

export function companyViolations(company: string): RuleViolation[] {
  const trimmed = company.trim();
  if (trimmed.length < 2) {
    return [violation('company', 'company.too_short')];
  }
  if (trimmed.length > 200) {
    return [violation('company', 'company.too_long')];
  }
  return [];
}

/** Canonical form of a username for uniqueness and lookup (unique case-insensitively). */
export function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
