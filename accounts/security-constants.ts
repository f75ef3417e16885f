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
/** Failed submissions in one sign-in flow (password, codes, upstream answers) before it ends and the person starts again. */
export const MAX_FLOW_FAILURES = 5;
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
/** Once opened, a reset link's token lives in an HttpOnly cookie (not the address bar) this long: enough to choose a password. */
export const PASSWORD_RESET_COOKIE_SECONDS = 15 * 60;
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

// --- Throttles: online guessing of every secret (issue 10; accounts/throttle.ts) ---
// Compared with Keycloak (30 failures, waits of 1–15 min), Auth0 (10 failures per IP + account) and
// NIST SP 800-63B-4 §3.2.2 (at most 100 consecutive failures per account): a person who mistypes a few
// times never waits long and is never locked; a guesser gets about 40 tries a day per account.
/** Consecutive failed factors per account (password, TOTP, recovery code, WebAuthn, push denial; any flow) answered with no wait: mistypes are free. */
export const SIGN_IN_FREE_FAILURES = 5;
/** Each failure after those makes the next attempt wait twice as long, from 2 s after the 6th… */
export const SIGN_IN_BACKOFF_BASE_SECONDS = 2;
/** …up to 15 minutes (Keycloak's maximum wait). */
export const SIGN_IN_BACKOFF_MAX_SECONDS = 15 * 60;
/** The 20th consecutive failure locks the account (the person is emailed; administrators can unlock): between Auth0's 10 and Keycloak's 30, well before NIST's 100. */
export const SIGN_IN_LOCKOUT_FAILURES = 20;
/** A lockout lasts an hour, and every failure after it locks for another hour: with the waits before it, ≈ 42 tries per day per account. */
export const SIGN_IN_LOCKOUT_SECONDS = 60 * 60;
/** A run of consecutive failures is forgotten 24 h after its first failure (sooner on a completed sign-in or an unlock). */
export const SIGN_IN_FAILURE_WINDOW_SECONDS = 24 * 60 * 60;
/** One client IP: 100 failed sign-ins an hour over any usernames (password spraying); an office behind one NAT stays far below. */
export const SIGN_IN_IP_FAILURES = 100;
export const SIGN_IN_IP_WINDOW_SECONDS = 60 * 60;
/** One IP + one username: 10 failures an hour, then that pair waits out the hour (credential stuffing; Auth0's brute-force limit). */
export const SIGN_IN_IP_USERNAME_FAILURES = 10;
export const SIGN_IN_IP_USERNAME_WINDOW_SECONDS = 60 * 60;
/** Refused attempts are audited in aggregate: one event when a subject's refusals in this window reach 1, 10, 100, 1000…, never one row each. */
export const THROTTLE_REFUSAL_AUDIT_WINDOW_SECONDS = 60 * 60;
/** /token (and introspection, revocation): failed client authentications per client id per 15 min; client secrets are 256-bit, so this bounds load, not odds. */
export const CLIENT_AUTH_FAILURES_PER_CLIENT = 50;
/** …and per client IP, so one source can't spray secrets over many client ids. */
export const CLIENT_AUTH_FAILURES_PER_IP = 20;
export const CLIENT_AUTH_WINDOW_SECONDS = 15 * 60;
/** A client IP / id found with no failures is not looked up again in this process for this long (a failure here forgets it at once): at most ~1 extra try per process per second past the limit, and no store round trip on a healthy client's every token. */
export const CLIENT_AUTH_CLEAN_CACHE_MS = 1000;
/** Wrong emailed codes per account and purpose per day, across codes (a new code brings no fresh tries): odds stay at 10 in 10^6 a day. */
export const EMAIL_CODE_FAILURES_PER_DAY = 10;
export const EMAIL_CODE_FAILURE_WINDOW_SECONDS = 24 * 60 * 60;
/** Emailed codes sent per account and purpose per hour: enough for a slow inbox, not enough to flood one. */
export const EMAIL_CODE_SENDS_PER_ACCOUNT = 5;
/** …and per client IP per hour (many accounts, one source). */
export const EMAIL_CODE_SENDS_PER_IP = 20;
export const EMAIL_CODE_SEND_WINDOW_SECONDS = 60 * 60;
/** "Forgot your credentials" requests per client IP per hour (room for an office behind one NAT on a Monday morning)… */
export const FORGOT_PER_IP = 50;
/** …and per typed username or address (its inbox; reset links are also capped at 3 per account per 15 minutes). */
export const FORGOT_PER_TARGET = 10;
export const FORGOT_WINDOW_SECONDS = 60 * 60;
/** Completed sign-up forms (captcha solved) per client IP per hour: a class signing up together fits, a script does not… */
export const SIGN_UP_PER_IP = 30;
/** …and per email address (someone else's inbox; an address may own several accounts). */
export const SIGN_UP_PER_TARGET = 3;
export const SIGN_UP_WINDOW_SECONDS = 60 * 60;
/** Wrong or expired push-device enrolment codes per client IP per hour: a code is good for 10 minutes, a guesser gets 10 tries an hour. */
export const PUSH_ENROLMENT_FAILURES_PER_IP = 10;
export const PUSH_ENROLMENT_WINDOW_SECONDS = 60 * 60;
/** Unusable invitation links (unknown, expired, used) per client IP per hour: tokens are 256-bit, this stops scanning. */
export const INVITATION_FAILURES_PER_IP = 20;
export const INVITATION_WINDOW_SECONDS = 60 * 60;
/** An organization's logo is shown on every sign-in page: larger files slow phones down and fill the database. */
export const BRANDING_LOGO_MAX_BYTES = 256 * 1024;

/** A return ticket (sign-up / reset / invitation → the app's pending sign-in) is used at once by a redirect: minutes are plenty. */
export const JOURNEY_RETURN_TICKET_TTL = 10 * 60;

// --- Email one-time code, an MFA method (interactions/methods/email-otp/) ---
/** A sign-in code lives 10 minutes: enough for slow mail, shorter than verify-email's 15 as it is a second factor. */
export const EMAIL_OTP_TTL_SECONDS = 10 * 60;
/** "Send a new code" works 3 times per sign-in (beside the throttle's per-account hourly cap): a flood of mail helps nobody. */
export const EMAIL_OTP_RESENDS_PER_FLOW = 3;
