// Phone numbers: "with area code", validated against libphonenumber's full metadata and stored in
// E.164 (+14155550100). Without a country code there is no way to know the country, so the number
// must start with + and the country code.
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { RuleViolation } from './errors.ts';

const INVALID: RuleViolation = {
  field: 'phoneNumber',
  code: 'phone.invalid',
  message: 'Enter a phone number with country and area code, e.g. +1 415 555 0100.',
};

/** The E.164 form of a valid number, or undefined. */
export function toE164(input: string): string | undefined {
  const trimmed = input.trim();
  if (!trimmed.startsWith('+') || trimmed.length > 32 || /[^\d\s()+.-]/.test(trimmed)) return undefined;
  const parsed = parsePhoneNumberFromString(trimmed);
  return parsed && parsed.isValid() ? parsed.number : undefined;
}

export function phoneViolations(input: string): RuleViolation[] {
  if (input.trim() === '') {
    return [{ field: 'phoneNumber', code: 'phone.required', message: 'Enter your phone number with country and area code.' }];
  }
  return toE164(input) ? [] : [INVALID];
}
