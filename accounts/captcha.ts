// The sign-up captcha: self-hosted ALTCHA proof of work (no third-party service). Challenges are
// HMAC-signed (altcha-lib, deterministic mode so verifying costs one key derivation), expire after
// CAPTCHA_TTL_SECONDS, and are single use: a redeemed challenge is remembered until it expires.
import { createHash } from 'node:crypto';
import { createChallenge, randomInt, verifySolution, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import {
  CAPTCHA_ALGORITHM,
  CAPTCHA_COST,
  CAPTCHA_COUNTER_MAX,
  CAPTCHA_COUNTER_MIN,
  CAPTCHA_TTL_SECONDS,
} from './security-constants.ts';

export type CaptchaSpentStore = {
  /** Records a challenge as redeemed; false when it already was. */
  spend(challengeHash: string, expiresAt: Date): Promise<boolean>;
};

export type CaptchaDifficulty = { cost: number; counterMin: number; counterMax: number };

export const DEFAULT_CAPTCHA_DIFFICULTY: CaptchaDifficulty = {
  cost: CAPTCHA_COST,
  counterMin: CAPTCHA_COUNTER_MIN,
  counterMax: CAPTCHA_COUNTER_MAX,
};

export function createCaptcha(deps: {
  /** Signs challenges (and, separately derived, their expected keys); shared by all instances. */
  secret: Buffer;
  spent: CaptchaSpentStore;
  difficulty?: CaptchaDifficulty;
  clock?: () => number;
}) {
  const now = () => (deps.clock ?? Date.now)();
  const difficulty = deps.difficulty ?? DEFAULT_CAPTCHA_DIFFICULTY;
  const hmacSignatureSecret = createHash('sha256').update(deps.secret).update('altcha challenge').digest('base64url');
  const hmacKeySignatureSecret = createHash('sha256').update(deps.secret).update('altcha key').digest('base64url');

  return {
    /** A new challenge for the widget (GET /signup/captcha answers it as JSON). */
    async challenge(): Promise<Challenge> {
      return createChallenge({
        algorithm: CAPTCHA_ALGORITHM,
        cost: difficulty.cost,
        counter: randomInt(difficulty.counterMax, difficulty.counterMin),
        deriveKey,
        expiresAt: Math.floor(now() / 1000) + CAPTCHA_TTL_SECONDS,
        hmacSignatureSecret,
        hmacKeySignatureSecret,
      });
    },

    /** True once per solved, unexpired challenge; the widget's form field is base64(JSON{challenge, solution}). */
    async verify(field: string | undefined): Promise<boolean> {
      if (!field || field.length > 4096) return false;
      let payload: { challenge?: Challenge; solution?: unknown };
      try {
        payload = JSON.parse(Buffer.from(field, 'base64').toString('utf8'));
      } catch {
        return false;
      }
      const { challenge, solution } = payload ?? {};
      if (!challenge?.parameters || !challenge.signature || !solution || typeof solution !== 'object') return false;
      if (challenge.parameters.algorithm !== CAPTCHA_ALGORITHM) return false;
      const expiresAt = Number(challenge.parameters.expiresAt);
      if (!Number.isFinite(expiresAt) || expiresAt * 1000 <= now()) return false;
      let verified = false;
      try {
        const result = await verifySolution({ challenge, solution: solution as never, deriveKey, hmacSignatureSecret, hmacKeySignatureSecret });
        verified = result.verified;
      } catch {
        return false;
      }
      if (!verified) return false;
      const challengeHash = createHash('sha256').update(challenge.signature).digest('hex');
      return deps.spent.spend(challengeHash, new Date(expiresAt * 1000));
    },
  };
}

export type Captcha = ReturnType<typeof createCaptcha>;
