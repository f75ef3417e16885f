// Organization domains for custom-domain sign-in: validated as host names (RFC 1123 §2.1), compared
// lower-case without a trailing dot. An email address "belongs" to a registered domain when its host is
// that domain or a subdomain of it.
import { violation, type RuleViolation } from '../accounts/errors.ts';

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function normalizeDomain(value: string): string {
  return value.trim().toLowerCase().replace(/\.$/, '');
}

/** Whether a (normalized) value is a host name: labels of letters, digits and inner hyphens, not an IP address. */
export function isHostname(domain: string): boolean {
  if (domain.length < 1 || domain.length > 253) return false;
  const labels = domain.split('.');
  if (!labels.every((l) => LABEL.test(l))) return false;
  // RFC 1123 §2.1: a top-level label is never all digits, so 10.0.0.1 is an address, not a name.
  return !/^\d+$/.test(labels[labels.length - 1]);
}

export function domainViolations(domains: string[]): RuleViolation[] {
  const v: RuleViolation[] = [];
  for (const raw of domains) {
    const d = normalizeDomain(raw);
    if (!isHostname(d)) v.push(violation('domains', 'domain.invalid', { domain: raw.slice(0, 100) }));
  }
  return v;
}

/** The host of an email address and every parent domain of it, most specific first ("a.b.com" → a.b.com, b.com, com). */
export function emailDomainCandidates(email: string): string[] {
  const at = email.lastIndexOf('@');
  if (at < 0) return [];
  const host = normalizeDomain(email.slice(at + 1));
  const labels = host.split('.');
  return labels.map((_, i) => labels.slice(i).join('.')).filter((d) => d.length > 0);
}
