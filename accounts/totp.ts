// TOTP (RFC 6238) as authenticator apps support it. Verification accepts the current step and
// one previous step, never a future one, and reports the step so callers can refuse replays.
import { generate, generateSecret, generateURI, verify } from 'otplib';
import { TOTP_DIGITS, TOTP_PAST_STEPS_ACCEPTED, TOTP_PERIOD_SECONDS, TOTP_SECRET_BYTES } from './security-constants.ts';

export function newTotpSecret(): string {
  return generateSecret({ length: TOTP_SECRET_BYTES });
}

export function totpUri(secret: string, accountLabel: string, issuer: string): string {
  return generateURI({ issuer, label: accountLabel, secret, algorithm: 'sha1', digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS });
}

/** The time step the code belongs to, or null when it is not valid now. */
export async function verifyTotp(secret: string, code: string, nowMs = Date.now()): Promise<number | null> {
  if (!new RegExp(`^\\d{${TOTP_DIGITS}}$`).test(code)) return null;
  const result = await verify({
    secret,
    token: code,
    algorithm: 'sha1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    epoch: Math.floor(nowMs / 1000),
    // [past, future] in seconds: one step back, none ahead.
    epochTolerance: [TOTP_PAST_STEPS_ACCEPTED * TOTP_PERIOD_SECONDS, 0],
  });
  if (!result.valid) return null;
  return (result as { timeStep: number }).timeStep;
}

/** For tests and the reference tooling: the code an app would show at `nowMs`. */
export function totpCode(secret: string, nowMs = Date.now()): Promise<string> {
  return generate({ secret, algorithm: 'sha1', digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS, epoch: Math.floor(nowMs / 1000) });
}
