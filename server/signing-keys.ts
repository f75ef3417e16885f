// Provider signing keys: RS256 (what clients default to) and ES256, generated on first start,
// rotated by `gatehouse keys rotate`. Retired keys stay published until their tokens expire.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { SigningKeyStore } from '../adapters/signing-key-store.ts';
import { RETIRED_KEY_GRACE_SECONDS } from '../accounts/security-constants.ts';

const ALGORITHMS = ['RS256', 'ES256'] as const;

function generateKey(alg: (typeof ALGORITHMS)[number]) {
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = randomUUID();
  return { kid, alg, jwk: { ...pair.privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' } };
}

/** Adds a fresh RS256 + ES256 pair; the previous ones become verification-only. */
export async function rotateSigningKeys(store: SigningKeyStore) {
  const keys = ALGORITHMS.map(generateKey);
  await store.addAndRetirePrevious(keys);
  return keys.map(({ kid, alg }) => ({ kid, alg }));
}

/**
 * The private JWKs the provider loads: active keys first (oidc-provider signs with the first key
 * of an algorithm), then retired keys still inside their grace period, for verification.
 */
export async function loadSigningKeys(store: SigningKeyStore, now = new Date()) {
  let keys = await store.list();
  if (!ALGORITHMS.every((alg) => keys.some((k) => k.alg === alg && !k.retiredAt))) {
    await rotateSigningKeys(store);
    keys = await store.list();
  }
  const graceMs = RETIRED_KEY_GRACE_SECONDS * 1000;
  const active = keys.filter((k) => !k.retiredAt);
  const retired = keys.filter((k) => k.retiredAt && now.getTime() - k.retiredAt.getTime() < graceMs);
  return [...active, ...retired].map((k) => k.jwk);
}
