// Phone numbers: "with area code", validated against libphonenumber's full metadata and stored in
// E.164 (+14155550100). Without a country code there is no way to know the country, so the number
// must start with + and the country code.
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { violation, type RuleViolation } from './errors.ts';

const INVALID: RuleViolation = violation('phoneNumber', 'phone.invalid');

/** The E.164 form of a valid number, or undefined. */
export function toE164(input: string): string | undefined {
  const trimmed = input.trim();
  if (!trimmed.startsWith('+') || trimmed.length > 32 || /[^\d\s()+.-]/.test(trimmed)) return undefined;
  const parsed = parsePhoneNumberFromString(trimmed);
  return parsed && parsed.isValid() ? parsed.number : undefined;
}

export function phoneViolations(input: string): RuleViolation[] {
  if (input.trim() === '') {
    return [violation('phoneNumber', 'phone.required')];
  }
  return toE164(input) ? [] : [INVALID];
}
