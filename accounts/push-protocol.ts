// The Gatehouse Authenticator protocol (push approval, issue 5 §4): what the server and a device
// agree on. Pure functions only, shared by the server (interactions/push-routes.ts) and the
// reference device (server/authenticator-device.ts), so tests drive the real protocol.
//
// A device holds a P-256 key pair; the server knows only the public key. Every device request
// after enrolment is signed, so no secret ever travels:
//   Gatehouse-Device:    <device id, from enrolment>
//   Gatehouse-Timestamp: <unix seconds; within ±PUSH_SIGNATURE_WINDOW_SECONDS of the server clock>
//   Gatehouse-Nonce:     <16–64 base64url characters, fresh per request; a reused nonce is refused>
//   Gatehouse-Signature: <base64url ECDSA P-256 / SHA-256 signature, IEEE P1363 (r‖s, 64 bytes)>
// over the string built by signingInput() below (method, path with query, timestamp, nonce and
// the SHA-256 of the exact body bytes).
import { createHash, createPublicKey, randomInt, verify as verifySignature, type JsonWebKey } from 'node:crypto';
import { PUSH_APPROVAL_TTL_SECONDS } from './security-constants.ts';

export const PUSH_PROTOCOL_VERSION = 'GATEHOUSE-AUTHENTICATOR-V1';
export const PUSH_API_PREFIX = '/authenticator/v1';
export const PUSH_HEADERS = {
  device: 'gatehouse-device',
  timestamp: 'gatehouse-timestamp',
  nonce: 'gatehouse-nonce',
  signature: 'gatehouse-signature',
} as const;

/** The URI a QR code carries: an app scanning it learns both the server and the code. */
export const PUSH_ENROLMENT_URI_SCHEME = 'gatehouse-authenticator:';

export type PushDecision = 'approve' | 'deny';
export type PushApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired';

/** A sign-in waiting for the device (stored in the provider's state store, never in SQL). */
export type PushApproval = {
  id: string;
  /** The interaction (sign-in flow) it belongs to: it can complete that flow and no other. */
  flowId: string;
  accountId: string;
  /** Devices (push methods) of the account that may answer it. */
  deviceIds: string[];
  clientName: string;
  ip: string | null;
  /** Epoch milliseconds. */
  time: number;
  /** The number-matching value shown on the sign-in page. */
  number: number;
  /** What the device offers the person to pick from: the number and two decoys, shuffled. */
  choices: number[];
  expiresAt: number;
  status: 'pending' | 'approved' | 'denied';
  decidedAt?: number;
  /** The device that answered. */
  deviceId?: string;
  reason?: 'denied' | 'wrong_number';
};

/** What a device sees of a pending approval (no number: the person must read it off the sign-in page). */
export type DeviceApprovalView = { id: string; clientName: string; ip: string | null; time: string; expiresAt: string; choices: number[] };

export function approvalStatus(approval: PushApproval | undefined, now: number): PushApprovalStatus {
  if (!approval) return 'expired';
  if (approval.status !== 'pending') return approval.status;
  return now >= approval.expiresAt ? 'expired' : 'pending';
}

export function deviceView(approval: PushApproval): DeviceApprovalView {
  return {
    id: approval.id,
    clientName: approval.clientName,
    ip: approval.ip,
    time: new Date(approval.time).toISOString(),
    expiresAt: new Date(approval.expiresAt).toISOString(),
    choices: approval.choices,
  };
}

/** A two-digit number (10–99) and the three choices the device shows, the number among them. */
export function numberMatching(): { number: number; choices: number[] } {
  const number = randomInt(10, 100);
  const choices = new Set([number]);
  while (choices.size < 3) choices.add(randomInt(10, 100));
  const shuffled = [...choices];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  return { number, choices: shuffled };
}

export function approvalExpiry(now: number): number {
  return now + PUSH_APPROVAL_TTL_SECONDS * 1000;
}

export function sha256Base64url(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('base64url');
}

/** The exact bytes a device signs. `pathAndQuery` is the request target as sent ("/authenticator/v1/approvals?wait=20"). */
export function signingInput(parts: { method: string; pathAndQuery: string; timestamp: string; nonce: string; body: string | Uint8Array }): string {
  return [PUSH_PROTOCOL_VERSION, parts.method.toUpperCase(), parts.pathAndQuery, parts.timestamp, parts.nonce, sha256Base64url(parts.body)].join('\n');
}

const B64URL_32 = /^[A-Za-z0-9_-]{43}$/;

/** Checks a device's public key: an EC P-256 JWK with coordinates on the curve and no private part. Returns a clean copy. */
export function parseDevicePublicKey(input: unknown): JsonWebKey | undefined {
  if (!input || typeof input !== 'object') return undefined;
  const jwk = input as Record<string, unknown>;
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || 'd' in jwk) return undefined;
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string' || !B64URL_32.test(jwk.x) || !B64URL_32.test(jwk.y)) return undefined;
  const clean: JsonWebKey = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
  try {
    createPublicKey({ key: clean, format: 'jwk' }); // refuses points not on the curve
  } catch {
    return undefined;
  }
  return clean;
}

/** ECDSA P-256 / SHA-256 over signingInput(), signature in IEEE P1363 form. */
export function verifyDeviceSignature(publicKeyJwk: JsonWebKey, input: string, signature: string): boolean {
  if (!/^[A-Za-z0-9_-]{86}$/.test(signature)) return false; // 64 bytes, base64url
  try {
    const key = createPublicKey({ key: publicKeyJwk, format: 'jwk' });
    return verifySignature('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}

// ---------- enrolment codes ----------

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'; // no 0/O or 1/I
/** 12 symbols of 32 = 60 bits, for 10 minutes, single use. */
const CODE_LENGTH = 12;

export function newEnrolmentCode(): string {
  const chars = Array.from({ length: CODE_LENGTH }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
  return chars.match(/.{4}/g)!.join('-');
}

/** Case, spaces and dashes don't matter to the person typing the code. */
export function normalizeEnrolmentCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, '');
}

/** Codes are stored only as this digest. */
export function enrolmentCodeDigest(code: string): string {
  return sha256Base64url(`push-enrolment:${normalizeEnrolmentCode(code)}`);
}

export function enrolmentUri(server: string, code: string): string {
  return `${PUSH_ENROLMENT_URI_SCHEME}//enrol?${new URLSearchParams({ server, code }).toString()}`;
}

/** Reads what a person pasted: a bare code, or the QR code's URI (which also names the server). */
export function parseEnrolmentInput(input: string): { code: string; server?: string } {
  const trimmed = input.trim();
  if (trimmed.startsWith(PUSH_ENROLMENT_URI_SCHEME)) {
    const url = new URL(trimmed);
    return { code: url.searchParams.get('code') ?? '', server: url.searchParams.get('server') ?? undefined };
  }
  return { code: trimmed };
}
