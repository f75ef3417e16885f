// Swaps the signing keys of a running oidc-provider. The provider reads its keystore per use
// (ID tokens, JWKS, request objects) from its private instance state, which only its own
// initializer can set; re-running that initializer with the new JWKS replaces the keystore and
// the published JWKS in place, so every feature holding the Provider keeps working.
import type Provider from 'oidc-provider';
import initializeKeystore from 'oidc-provider/lib/helpers/initialize_keystore.js';

export function replaceProviderKeys(provider: Provider, jwks: Record<string, unknown>[]): void {
  // The initializer normalises the JWK objects it gets; give it copies.
  initializeKeystore.call(provider, { keys: structuredClone(jwks) });
}
