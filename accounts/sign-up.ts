// Creating a root organization and its owner: the reference sign-up rules, applied in one place
// (the CLI now, the sign-up page later).
import type { AccountStore } from './account.ts';
import type { AuditLog } from './audit.ts';
import { ValidationError } from './errors.ts';
import { companyViolations, emailViolations, passwordViolations, usernameViolations } from './account-rules.ts';
import type { PasswordHasher } from './password-hasher.ts';

export type SignUpInput = {
  username: string;
  email: string;
  password: string;
  company: string;
  name?: string | null;
  phoneNumber?: string | null;
};

export function createSignUp(deps: { accounts: AccountStore; hasher: PasswordHasher; audit: AuditLog }) {
  return async function signUp(input: SignUpInput, context: { ip?: string; userAgent?: string } = {}) {
    const violations = [
      ...emailViolations(input.email),
      ...usernameViolations(input.username),
      ...passwordViolations(input.password),
      ...companyViolations(input.company),
    ];
    if (violations.length > 0) throw new ValidationError(violations);
    const passwordHash = await deps.hasher.hash(input.password);
    const created = await deps.accounts.createAccountWithOrganization({
      account: { username: input.username, email: input.email, name: input.name, phoneNumber: input.phoneNumber },
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
