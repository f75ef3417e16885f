// Creating a root organization and its owner: the reference sign-up rules, applied in one place
// (the CLI now, the sign-up page later).
import type { AccountStore } from './account.ts';
import type { AuditLog } from './audit.ts';
import { ValidationError, type RuleViolation, violation } from './errors.ts';
import { companyViolations, emailViolations, passwordViolations, usernameViolations } from './account-rules.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { commonPasswordViolations, personalWords } from './password-strength.ts';
import { phoneViolations, toE164 } from './phone-number.ts';

export type SignUpInput = {
  username: string;
  email: string;
  password: string;
  company: string;
  name?: string | null;
  /** A string (the sign-up page) is validated and stored in E.164; null/undefined (CLI) skips it. */
  phoneNumber?: string | null;
  /** The language of the sign-up page (a catalog tag): emails to the new account are written in it. */
  language?: string | null;
};

/** The sign-up rules that need no database (every field but "username is taken"), in form order. */
export function signUpViolations(input: SignUpInput): RuleViolation[] {
  const violations = [
    ...emailViolations(input.email),
    ...usernameViolations(input.username),
    ...(typeof input.phoneNumber === 'string' ? phoneViolations(input.phoneNumber) : []),
    ...passwordViolations(input.password),
    ...companyViolations(input.company),
  ];
  if (!violations.some((v) => v.field === 'password')) {
    violations.push(...commonPasswordViolations(input.password, personalWords(input)));
  }
  return violations;
}

export function createSignUp(deps: { accounts: AccountStore; hasher: PasswordHasher; audit: AuditLog }) {
  return async function signUp(input: SignUpInput, context: { ip?: string; userAgent?: string } = {}) {
    const violations = signUpViolations(input);
    // Reference: the page says plainly that a username is taken (usernames are public by design).
    if (!violations.some((v) => v.field === 'username') && (await deps.accounts.usernameExists(input.username))) {
      violations.push(violation('username', 'username.taken'));
    }
    if (violations.length > 0) throw new ValidationError(violations);
    const phoneNumber = typeof input.phoneNumber === 'string' ? toE164(input.phoneNumber) : input.phoneNumber;
    const passwordHash = await deps.hasher.hash(input.password);
    const created = await deps.accounts.createAccountWithOrganization({
      account: { username: input.username, email: input.email, name: input.name, phoneNumber, language: input.language },
      passwordHash,
      organizationName: input.company,
    });
    await deps.audit.record({
      actor: created.account.id,
      action: 'account.create',
      target: created.account.id,
      organizationId: created.organization.id,
      outcome: 'success',
      ip: context.ip,
      userAgent: context.userAgent,
    });
    return created;
  };
}
