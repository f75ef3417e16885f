// Recovery codes: ten single-use codes, shown once, stored as HMAC-SHA256 digests under a server
// key so a copy of the database alone cannot be brute-forced offline.
import { createHmac, randomInt } from 'node:crypto';
import { RECOVERY_CODE_COUNT, RECOVERY_CODE_LENGTH } from './security-constants.ts';

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'; // 32 symbols, no 0/O or 1/I

export function generateRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = Array.from({ length: RECOVERY_CODE_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    return chars.match(/.{4}/g)!.join('-'); // XXXX-XXXX-XXXX: easier to copy by hand
  });
}

/** Canonical form: case, spaces and dashes don't matter to the person typing. */
export function normalizeRecoveryCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, '');
}

export function recoveryCodeDigester(key: Buffer) {
  return (code: string) => createHmac('sha256', key).update(normalizeRecoveryCode(code)).digest('base64url');
}
