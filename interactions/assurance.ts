// What a finished login claims about itself: `amr` (RFC 8176) and `acr`, stated truthfully.
export const ACR_SINGLE_FACTOR = 'urn:gatehouse:loa:1';
export const ACR_MULTI_FACTOR = 'urn:gatehouse:loa:2';
export const ACR_VALUES = [ACR_SINGLE_FACTOR, ACR_MULTI_FACTOR];

export function acrFor(amr: string[]): string {
  return amr.includes('mfa') ? ACR_MULTI_FACTOR : ACR_SINGLE_FACTOR;
}
