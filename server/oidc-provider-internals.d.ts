// The one oidc-provider internal Gatehouse calls (see provider-keys.ts); it has no published types.
declare module 'oidc-provider/lib/helpers/initialize_keystore.js' {
  export default function initializeKeystore(this: unknown, jwks: { keys: unknown[] }): void;
}
