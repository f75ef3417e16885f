// Sign-up rules from the reference pages, one function per field, each returning the rules broken.
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './security-constants.ts';
import type { RuleViolation } from './errors.ts';

const USERNAME_PATTERN = /^[A-Za-z0-9_-]+$/;
/** Printable ASCII, space through tilde. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const EMAIL_PATTERN = /^[^\s@"<>()[\]\\,;:]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

export function usernameViolations(username: string): RuleViolation[] {
  const v: RuleViolation[] = [];
  if (username.length < 3) {
    v.push({ field: 'username', code: 'username.too_short', message: 'Username must be at least 3 characters.' });
  }
  if (username.length > 100) {
    v.push({ field: 'username', code: 'username.too_long', message: 'Username must be at most 100 characters.' });
  }
  if (username.length > 0 && !USERNAME_PATTERN.test(username)) {
    v.push({
      field: 'username',
      code: 'username.invalid_characters',
      message: 'Username can contain only letters, numbers, dashes and underscores.',
    });
  }
  return v;
}

export function passwordViolations(password: string): RuleViolation[] {
  const v: RuleViolation[] = [];
  const add = (code: string, message: string) => v.push({ field: 'password', code, message });
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
    add('password.length', `Password must be between ${PASSWORD_MIN_LENGTH} and ${PASSWORD_MAX_LENGTH} characters.`);
  }
  if (!/[A-Z]/.test(password)) add('password.missing_uppercase', 'Password must contain at least one uppercase letter.');
  if (!/[a-z]/.test(password)) add('password.missing_lowercase', 'Password must contain at least one lowercase letter.');
  if (!/[0-9]/.test(password)) add('password.missing_number', 'Password must contain at least one number.');
  if (!PRINTABLE_ASCII.test(password)) {
    add('password.invalid_characters', 'Password can contain only letters, numbers and symbols (printable ASCII).');
  }
  return v;
}

export function emailViolations(email: string): RuleViolation[] {
  if (email.length > 254 || !EMAIL_PATTERN.test(email)) {
    return [{ field: 'email', code: 'email.invalid', message: 'Enter a valid email address.' }];
  }
  return [];
}

export function companyViolations(company: string): RuleViolation[] {
  const trimmed = company.trim();
  if (trimmed.length < 2) {
    return [{ field: 'company', code: 'company.too_short', message: 'Company must be at least 2 characters.' }];
  }
  if (trimmed.length > 200) {
    return [{ field: 'company', code: 'company.too_long', message: 'Company must be at most 200 characters.' }];
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
