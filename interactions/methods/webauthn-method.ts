// WebAuthn second factors: a built-in authenticator (Touch ID, Windows Hello, Android screen
// lock: attachment 'platform') and a security key (YubiKey, Titan: 'cross-platform'). One factory,
// registered twice. The relying party ID and origin come from ISSUER; each challenge is single-use,
// kept in the flow's private state and deleted before the answer is checked; user verification is
// preferred, not required; the signature counter must grow (a regression is refused and audited).
import { createHash } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { z } from 'zod';
import type { AuditLog } from '../../accounts/audit.ts';
import { validMethodName, type MfaMethod, type MfaStore } from '../../accounts/mfa.ts';
import type { FlowMessage } from '../login/flow.ts';
import type { MessageCode, MessageValue } from '../../accounts/messages/language.ts';
import type { MfaContext, MfaStrategy } from './method.ts';
import { translatorFor } from '../../views/language.ts';

export type WebAuthnKind = 'platform' | 'security_key';

export const WEBAUTHN_KINDS: readonly WebAuthnKind[] = ['platform', 'security_key'];

/** How long the browser may wait for the person (the ceremony's `timeout`). */
export const WEBAUTHN_TIMEOUT_MS = 2 * 60 * 1000;
/** How long a challenge is accepted: the ceremony's timeout plus time to post the answer. */
export const WEBAUTHN_CHALLENGE_TTL_MS = WEBAUTHN_TIMEOUT_MS + 30 * 1000;
/**
 * COSE algorithms offered and accepted: EdDSA, ES256, RS256. Explicit, so the library doesn't probe
 * the runtime for post-quantum support (an experimental Web Crypto API that warns on every call).
 */
const ALGORITHMS = [-8, -7, -257];
/** Upper bound on a posted credential (attestation objects with certificate chains are a few KB). */
const MAX_RESPONSE_LENGTH = 64 * 1024;

/** What a registered credential keeps in its method's config (all JSON-safe). */
export type WebAuthnConfig = {
  credentialId: string; // base64url
  publicKey: string; // base64url COSE key
  counter: number;
  transports: string[];
  attachment: 'platform' | 'cross-platform';
  aaguid?: string;
  deviceType?: string;
  backedUp?: boolean;
};

/** Each kind's label, its words in "Logged In Via" and its RFC 8176 amr (README). */
const KIND_TEXT: Record<WebAuthnKind, { label: string; describe: string; amr: string[] }> = {
  platform: { label: 'Built-in authenticator', describe: 'built-in authenticator', amr: ['swk', 'user'] },
  security_key: { label: 'Security key', describe: 'security key', amr: ['hwk'] },
};

/** The challenge a page was given, in flow.private[kind], with the options the page got (shown again on reload). */
const pendingSchema = z.object({
  purpose: z.enum(['authenticate', 'register']),
  challenge: z.string().min(16),
  expiresAt: z.number(),
  options: z.string().optional(),
});
type PendingChallenge = z.infer<typeof pendingSchema>;

/** Only the envelope is checked here; @simplewebauthn/server checks the rest (and throws on nonsense). */
const credentialSchema = z
  .object({
    id: z.string().min(1).max(1024),
    rawId: z.string().min(1).max(1024),
    type: z.literal('public-key'),
    response: z.record(z.string(), z.unknown()),
    clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
    authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  })
  .passthrough();

const message = (code: MessageCode, vars?: Record<string, MessageValue>): FlowMessage => ({ code, ...(vars ? { vars } : {}), level: 'error' });

const EXPIRED = message('mfa.webauthn_challenge_expired');
const FAILED = message('mfa.webauthn_failed');
const UNKNOWN = message('mfa.webauthn_unknown_credential');
const CLONED = message('mfa.webauthn_possible_clone');

/** WebAuthn needs a domain as its RP ID: browsers refuse IP addresses (WebAuthn §5.1.4.1 "valid domain"). */
export function isWebAuthnRpId(hostname: string): boolean {
  return hostname === 'localhost' || (/^[a-z0-9.-]+$/i.test(hostname) && /[a-z]/i.test(hostname.split('.').pop() ?? ''));
}

/** The WebAuthn user handle: stable per account, opaque, no personal data (WebAuthn §14.6.1). */
function userHandle(accountId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash('sha256').update(`gatehouse webauthn user handle\0${accountId}`).digest());
}

const fromB64u = (value: string) => new Uint8Array(Buffer.from(value, 'base64url'));

function parseCredential(raw: string | undefined): Record<string, unknown> | undefined {
  if (!raw || raw.length > MAX_RESPONSE_LENGTH) return undefined;
  try {
    const parsed = credentialSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function configOf(method: MfaMethod): WebAuthnConfig {
  return method.config as WebAuthnConfig;
}

export function createWebAuthnMethod(deps: {
  kind: WebAuthnKind;
  mfa: MfaStore;
  audit: AuditLog;
  /** The relying party ID: ISSUER's host name. */
  rpId: string;
  /** The only origin accepted in clientDataJSON: ISSUER's origin. */
  origin: string;
  /** Shown by the browser while registering. */
  rpName: string;
  clock?: () => number;
}): MfaStrategy {
  const { kind, mfa, audit, rpId, origin } = deps;
  const attachment = kind === 'platform' ? 'platform' : 'cross-platform';
  const now = () => (deps.clock ?? Date.now)();
  const mine = (ctx: MfaContext) => ctx.methods.filter((m) => m.kind === kind);

  /** Takes the pending challenge out of the flow: whatever happens next, it can't be used again. */
  function takeChallenge(ctx: MfaContext, purpose: PendingChallenge['purpose']): string | undefined {
    const parsed = pendingSchema.safeParse(ctx.flow.private[kind]);
    delete ctx.flow.private[kind];
    if (!parsed.success || parsed.data.purpose !== purpose || parsed.data.expiresAt <= now()) return undefined;
    return parsed.data.challenge;
  }

  function putChallenge(ctx: MfaContext, purpose: PendingChallenge['purpose'], challenge: string, options?: string) {
    ctx.flow.private[kind] = { purpose, challenge, expiresAt: now() + WEBAUTHN_CHALLENGE_TTL_MS, options } satisfies PendingChallenge;
  }

  /** The counter rule: authenticators that always report 0 pass; any other value must exceed the stored one. */
  async function counterAccepted(ctx: MfaContext, method: MfaMethod, received: number): Promise<boolean> {
    const stored = Number(configOf(method).counter ?? 0);
    if (received === 0 && stored === 0) {
      await mfa.markUsed(method.id);
      return true;
    }
    if (await mfa.advanceSignCounter(method.id, received)) return true;
    await audit.record({
      actor: ctx.account.id,
      action: 'mfa.webauthn_counter_regression',
      outcome: 'denied',
      target: ctx.account.id,
      organizationId: ctx.account.organization?.id ?? null,
      details: { kind, method_id: method.id, stored_counter: stored, received_counter: received, possible_cloned_key: true },
      ip: ctx.request.ip ?? null,
      userAgent: ctx.request.userAgent ?? null,
    });
    return false;
  }

  return {
    kind,
    label: KIND_TEXT[kind].label,
    amr: KIND_TEXT[kind].amr,
    describe: () => KIND_TEXT[kind].describe,
    privateSchema: pendingSchema,

    async available(ctx) {
      return mine(ctx).length > 0;
    },

    async prepareChallenge(ctx) {
      const options = await generateAuthenticationOptions({
        rpID: rpId,
        allowCredentials: mine(ctx).map((m) => ({ id: configOf(m).credentialId, transports: configOf(m).transports })),
        userVerification: 'preferred',
        timeout: WEBAUTHN_TIMEOUT_MS,
      });
      putChallenge(ctx, 'authenticate', options.challenge, JSON.stringify(options));
    },

    async challengeView(ctx) {
      const pending = pendingSchema.safeParse(ctx.flow.private[kind]);
      // A challenge is used once (verify takes it) and expires: then the engine starts a new one.
      if (!pending.success || pending.data.purpose !== 'authenticate' || pending.data.expiresAt <= now() || !pending.data.options) return undefined;
      return { webauthn: { mode: 'authenticate', options: pending.data.options } };
    },

    async verify(ctx, input) {
      const expectedChallenge = takeChallenge(ctx, 'authenticate');
      if (!expectedChallenge) return { kind: 'failed', message: EXPIRED };
      const response = parseCredential(input.webauthn_response) as AuthenticationResponseJSON | undefined;
      if (!response) return { kind: 'failed', message: FAILED };
      const method = mine(ctx).find((m) => configOf(m).credentialId === response.id);
      if (!method) return { kind: 'failed', message: UNKNOWN };
      const config = configOf(method);
      let result;
      try {
        result = await verifyAuthenticationResponse({
          response,
          expectedChallenge,
          expectedOrigin: origin,
          expectedRPID: rpId,
          // Counter 0 here: the library's own check would throw without telling a regression apart;
          // the rule is applied below, atomically in the store, and a regression is audited.
          credential: { id: config.credentialId, publicKey: fromB64u(config.publicKey), counter: 0, transports: config.transports },
          requireUserVerification: false,
        });
      } catch {
        return { kind: 'failed', message: FAILED };
      }
      if (!result.verified) return { kind: 'failed', message: FAILED };
      if (!(await counterAccepted(ctx, method, result.authenticationInfo.newCounter))) return { kind: 'failed', message: CLONED };
      return { kind: 'verified', amr: ['mfa', ...KIND_TEXT[kind].amr] };
    },

    // Without a domain name as ISSUER (e.g. http://127.0.0.1:3000) no browser can register a credential.
    enrolment: isWebAuthnRpId(rpId)
      ? {
          async prepare(ctx) {
            const registered = ctx.methods.filter((m) => (WEBAUTHN_KINDS as readonly string[]).includes(m.kind));
            const options = await generateRegistrationOptions({
              rpName: deps.rpName,
              rpID: rpId,
              userName: ctx.account.username,
              userID: userHandle(ctx.account.id),
              userDisplayName: ctx.account.username,
              timeout: WEBAUTHN_TIMEOUT_MS,
              attestationType: 'none',
              // Both kinds: a key registered as one kind can't be added again as the other.
              excludeCredentials: registered.map((m) => ({ id: configOf(m).credentialId, transports: configOf(m).transports })),
              authenticatorSelection: {
                authenticatorAttachment: attachment,
                // A second factor needs no discoverable credential; don't fill a security key's few slots.
                residentKey: kind === 'platform' ? 'preferred' : 'discouraged',
                userVerification: 'preferred',
              },
              preferredAuthenticatorType: kind === 'platform' ? 'localDevice' : 'securityKey',
              supportedAlgorithmIDs: ALGORITHMS,
            });
            putChallenge(ctx, 'register', options.challenge, JSON.stringify(options));
          },

          async view(ctx) {
            // The options this page was given, until used or expired (a reload must not change them under the browser).
            const pending = pendingSchema.safeParse(ctx.flow.private[kind]);
            if (!pending.success || pending.data.purpose !== 'register' || pending.data.expiresAt <= now() || !pending.data.options) return undefined;
            return { webauthn: { mode: 'register', options: pending.data.options } };
          },

          async complete(ctx, input) {
            const expectedChallenge = takeChallenge(ctx, 'register');
            if (!expectedChallenge) return { kind: 'failed', message: EXPIRED };
            const name = validMethodName(input.name || translatorFor().t(`mfa.kind.${kind}`));
            const response = parseCredential(input.webauthn_response) as RegistrationResponseJSON | undefined;
            if (!response) return { kind: 'failed', message: FAILED };
            if (response.authenticatorAttachment && response.authenticatorAttachment !== attachment) {
              const other = kind === 'platform' ? 'security_key' : 'platform';
              return {
                kind: 'failed',
                message: message('mfa.webauthn_wrong_attachment', { label: { code: `mfa.kind.${other}` } }),
              };
            }
            let result;
            try {
              result = await verifyRegistrationResponse({
                response,
                expectedChallenge,
                expectedOrigin: origin,
                expectedRPID: rpId,
                requireUserVerification: false,
                supportedAlgorithmIDs: ALGORITHMS,
              });
            } catch {
              return { kind: 'failed', message: FAILED };
            }
            if (!result.verified) return { kind: 'failed', message: FAILED };
            const { credential, aaguid, credentialDeviceType, credentialBackedUp } = result.registrationInfo;
            if (ctx.methods.some((m) => (m.config as Partial<WebAuthnConfig>).credentialId === credential.id)) {
              return { kind: 'failed', message: message('mfa.webauthn_already_registered') };
            }
            const config: WebAuthnConfig = {
              credentialId: credential.id,
              publicKey: Buffer.from(credential.publicKey).toString('base64url'),
              counter: credential.counter,
              transports: credential.transports ?? response.response.transports ?? [],
              attachment,
              aaguid,
              deviceType: credentialDeviceType,
              backedUp: credentialBackedUp,
            };
            const method = await mfa.addMethod(ctx.account.id, kind, name, config);
            return { kind: 'enrolled', method };
          },
        }
      : undefined,
  };
}
