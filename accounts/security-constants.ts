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

// --- Re-authentication before sensitive changes (reference: Manage Sensitive Account Information) ---
/** Password entered more than 30 minutes ago → enter it again. */
export const REAUTH_PASSWORD_WINDOW_SECONDS = 30 * 60;
/** With MFA, password + MFA more than 8 hours ago → both again. */
export const REAUTH_MFA_WINDOW_SECONDS = 8 * 60 * 60;

// --- Multi-factor authentication ---
/** TOTP as authenticator apps support it: SHA-1, 6 digits, 30 s (RFC 6238 defaults). */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Accept the current step and one previous step (clock drift, slow typing), never a future step. */
export const TOTP_PAST_STEPS_ACCEPTED = 1;
/** 20-byte (160-bit) seeds: RFC 4226 §4 recommends 160 bits. */
export const TOTP_SECRET_BYTES = 20;
/** Ten single-use recovery codes, as most providers issue. */
export const RECOVERY_CODE_COUNT = 10;
/** 12 base32 characters = 60 bits each; stored as HMACs under a server key, so a database leak alone is not enough. */
export const RECOVERY_CODE_LENGTH = 12;
/** Failed submissions (password or code) before a sign-in flow ends and the person starts again. */
export const MAX_MFA_FAILURES = 5;
/** Push approvals wait this long for the device before the sign-in fails cleanly. */
export const PUSH_APPROVAL_TTL_SECONDS = 120;
/** A device enrolment code is good for 10 minutes. */
export const PUSH_ENROLMENT_TTL_SECONDS = 10 * 60;
/** A signed device request's timestamp may be this far from the server clock (phones drift a little). */
export const PUSH_SIGNATURE_WINDOW_SECONDS = 60;
/** A device may hold its approvals request open this long waiting for a sign-in (long poll), under common proxy timeouts. */
export const PUSH_LONG_POLL_MAX_SECONDS = 25;

// --- Self-service: sign-up, email codes, password reset (issue 4) ---
/** Reference: email verification codes are 6 digits, what people can retype from a phone. */
export const EMAIL_CODE_DIGITS = 6;
/** A code is good for 15 minutes: mail can be slow, and 10^6 codes × 5 tries stay out of reach. */
export const EMAIL_CODE_TTL_SECONDS = 15 * 60;
/** 5 tries per code: a guesser's odds stay at 5 in 10^6, a person who mistypes still gets in. */
export const EMAIL_CODE_MAX_ATTEMPTS = 5;
/** Reset links carry 256 random bits (≥ 128 required): unguessable, so a fast hash at rest is enough. */
export const PASSWORD_RESET_TOKEN_BYTES = 32;
/** Reset links expire after 60 minutes (OWASP Forgot Password: short-lived, single use). */
export const PASSWORD_RESET_TTL_SECONDS = 60 * 60;
/** At most 3 reset links per account per 15 minutes: stops anyone flooding a person's inbox. */
export const PASSWORD_RESET_MAX_LINKS = 3;
export const PASSWORD_RESET_WINDOW_SECONDS = 15 * 60;
/** zxcvbn score below 2 (< 10^6 guesses) is a common or trivially guessable password (NIST 800-63B §3.1.1.2 blocklist). */
export const PASSWORD_MIN_STRENGTH_SCORE = 2;
/** ALTCHA proof of work: PBKDF2/SHA-256, 1000 iterations per try, 2,000–10,000 tries (~1 s in a browser, costly at scale). */
export const CAPTCHA_ALGORITHM = 'PBKDF2/SHA-256';
export const CAPTCHA_COST = 1_000;
export const CAPTCHA_COUNTER_MIN = 2_000;
export const CAPTCHA_COUNTER_MAX = 10_000;
/** A captcha challenge must be solved and submitted within 10 minutes, once. */
export const CAPTCHA_TTL_SECONDS = 10 * 60;

// --- Organizations: invitations and the admin API ---
/** Reference: an invitation link must be used "within one week". */
export const INVITATION_TTL_SECONDS = 7 * 24 * 60 * 60;
/** 32 random bytes (256 bits) per invitation link: unguessable, and stored only as a SHA-256 digest. */
export const INVITATION_TOKEN_BYTES = 32;
/** Largest page the admin API returns: bounds the work one request can ask for. */
export const ADMIN_API_MAX_PAGE_SIZE = 100;

// --- MFA exemption for service accounts ---
/** NIST SP 800-63B-4: a password used as the only factor must be at least 15 characters. */
export const SINGLE_FACTOR_PASSWORD_MIN_LENGTH = 15;

// --- Federation: external OpenID Connect IdPs, custom domains, profile linking (issue 6) ---
/** Reference: "You can link up to 25 user profiles" (a link set, the local Gatehouse profile included). */
export const MAX_LINKED_PROFILES = 25;
/** Each call to an external IdP (discovery, JWKS, token, userinfo) gives up after 10 s: a slow IdP fails the step cleanly instead of holding the page. */
export const UPSTREAM_HTTP_TIMEOUT_SECONDS = 10;
/** Discovery documents are reused for 5 minutes: fewer round trips per sign-in, and an IdP's key or endpoint change is picked up soon. */
export const UPSTREAM_DISCOVERY_CACHE_SECONDS = 5 * 60;
/** ID tokens may be off by 60 s of clock skew between the IdP and us, no more (OIDC Core §3.1.3.7 leaves the window to the client). */
export const UPSTREAM_CLOCK_TOLERANCE_SECONDS = 60;
/** An organization registers at most 50 IdPs (room for a full 25-profile link set) and 50 domains: bounds the chooser and every lookup. */
export const MAX_IDENTITY_PROVIDERS_PER_ORGANIZATION = 50;
export const MAX_DOMAINS_PER_ORGANIZATION = 50;
/** Profile-initiated linking (an IdP round trip from /account) must come back within 10 minutes. */
export const PROFILE_LINK_TTL_SECONDS = 10 * 60;

// --- Caches ---
/**
 * Client registrations are cached per process (one database read per token request otherwise).
 * Changes made through a server (admin API) are broadcast over Redis and seen at once; a change made
 * straight in the database (the CLI) is seen within this time.
 */
export const CLIENT_CACHE_TTL_SECONDS = 30;
