// Every security decision in one place, each with the reason for its value.

// --- Password hashing (OWASP Password Storage Cheat Sheet, argon2id minimum) ---
/** 19 MiB: OWASP's recommended minimum memory for argon2id. */
export const ARGON2_MEMORY_KIB = 19_456;
/** t=2 iterations pairs with 19 MiB in OWASP's table. */
export const ARGON2_TIME_COST = 2;
/** p=1: one lane; concurrency comes from running several hashes, bounded below. */
export const ARGON2_PARALLELISM = 1;

// --- Password rules (reference pages: 8–64 chars, upper, lower, digit, printable ASCII) ---
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 64;
/** Reference: "You can't reuse any of your previous three passwords". */
export const PASSWORD_HISTORY_DEPTH = 3;

// --- Provider token and session lifetimes (seconds) ---
/** Absolute session cap: a working day; re-login at least daily. */
export const SESSION_ABSOLUTE_TTL = 24 * 60 * 60;
/** Idle sessions end after 2 h without use (the session is re-saved on each use). */
export const SESSION_IDLE_TTL = 2 * 60 * 60;
/** An interaction (sign-in page) left open longer than 30 min must restart. */
export const INTERACTION_TTL = 30 * 60;
/** Codes are redeemed right after the redirect; 60 s covers slow back-ends (RFC 6749 §4.1.2 recommends ≤ 10 min). */
export const AUTHORIZATION_CODE_TTL = 60;
/** Short bearer lifetime limits damage from a leaked token; refresh covers longer use. */
export const ACCESS_TOKEN_TTL = 10 * 60;
/** Client-credentials tokens: same exposure reasoning as user access tokens. */
export const CLIENT_CREDENTIALS_TTL = 10 * 60;
/** ID tokens are consumed at login; keep them as short as access tokens. */
export const ID_TOKEN_TTL = 10 * 60;
/** Refresh tokens never outlive the absolute session. */
export const REFRESH_TOKEN_TTL = SESSION_ABSOLUTE_TTL;
/** Grants live as long as the longest token they back. */
export const GRANT_TTL = SESSION_ABSOLUTE_TTL;

// --- Keys ---
/** Retired signing keys stay in JWKS this long: longer than any token they signed (ID/access ≤ refresh). */
export const RETIRED_KEY_GRACE_SECONDS = REFRESH_TOKEN_TTL;

// --- Request limits ---
/** Forms and JSON bodies are small; anything larger is refused with 413. */
export const MAX_BODY_BYTES = 64 * 1024;
