// A software WebAuthn authenticator for tests without a browser: makes real P-256 credentials
// ("none" attestation) and real signed assertions, so the server-side checks (challenge, origin,
// RP ID, signature, counter) are exercised for real. Knobs let a test misbehave on purpose.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

type Credential = { id: Buffer; rpId: string; privateKey: KeyObject; counter: number };

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();
const b64u = (data: Uint8Array) => Buffer.from(data).toString('base64url');

function counterBytes(counter: number) {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(counter);
  return out;
}

export class SoftAuthenticator {
  readonly attachment: 'platform' | 'cross-platform';
  /** How much the counter grows per use; 0 = an authenticator that always reports 0. */
  readonly counterStep: number;
  readonly credentials: Credential[] = [];

  constructor(options: { attachment?: 'platform' | 'cross-platform'; counterStep?: number } = {}) {
    this.attachment = options.attachment ?? 'cross-platform';
    this.counterStep = options.counterStep ?? 1;
  }

  /** navigator.credentials.create() as @simplewebauthn/browser's startRegistration() returns it. */
  register(options: PublicKeyCredentialCreationOptionsJSON, origin: string, overrides: { attachment?: string } = {}): RegistrationResponseJSON {
    const rpId = options.rp.id ?? new URL(origin).hostname;
    const excluded = new Set((options.excludeCredentials ?? []).map((c) => c.id));
    if (this.credentials.some((c) => excluded.has(b64u(c.id)))) throw Object.assign(new Error('already registered'), { name: 'InvalidStateError' });
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = new Map<number, number | Uint8Array>([
      [1, 2], // kty: EC2
      [3, -7], // alg: ES256
      [-1, 1], // crv: P-256
      [-2, Buffer.from(jwk.x!, 'base64url')],
      [-3, Buffer.from(jwk.y!, 'base64url')],
    ]);
    const credential: Credential = { id: randomBytes(32), rpId, privateKey, counter: 0 };
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credential.id.length);
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([FLAG_UP | FLAG_UV | FLAG_AT]),
      counterBytes(credential.counter),
      Buffer.alloc(16), // AAGUID: none
      idLength,
      credential.id,
      Buffer.from(isoCBOR.encode(cose)),
    ]);
    const attestation = new Map<string, string | Uint8Array | Map<string, string>>([['fmt', 'none'], ['attStmt', new Map<string, string>()], ['authData', authData]]);
    const attestationObject = isoCBOR.encode(attestation);
    const clientDataJSON = JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin, crossOrigin: false });
    this.credentials.push(credential);
    return {
      id: b64u(credential.id),
      rawId: b64u(credential.id),
      type: 'public-key',
      response: {
        clientDataJSON: b64u(Buffer.from(clientDataJSON)),
        attestationObject: b64u(attestationObject),
        transports: this.attachment === 'platform' ? ['internal'] : ['usb'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: (overrides.attachment ?? this.attachment) as 'platform' | 'cross-platform',
    };
  }

  /** navigator.credentials.get() with the first allowed credential this authenticator holds. */
  authenticate(
    options: PublicKeyCredentialRequestOptionsJSON,
    origin: string,
    overrides: { counter?: number; origin?: string; challenge?: string } = {},
  ): AuthenticationResponseJSON {
    const allowed = new Set((options.allowCredentials ?? []).map((c) => c.id));
    const credential = this.credentials.find((c) => allowed.has(b64u(c.id)));
    if (!credential) throw Object.assign(new Error('no credential for this request'), { name: 'NotAllowedError' });
    credential.counter = overrides.counter ?? credential.counter + this.counterStep;
    const authData = Buffer.concat([sha256(options.rpId ?? credential.rpId), Buffer.from([FLAG_UP | FLAG_UV]), counterBytes(credential.counter)]);
    const clientDataJSON = Buffer.from(
      JSON.stringify({ type: 'webauthn.get', challenge: overrides.challenge ?? options.challenge, origin: overrides.origin ?? origin, crossOrigin: false }),
    );
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), credential.privateKey);
    return {
      id: b64u(credential.id),
      rawId: b64u(credential.id),
      type: 'public-key',
      response: { clientDataJSON: b64u(clientDataJSON), authenticatorData: b64u(authData), signature: b64u(signature) },
      clientExtensionResults: {},
      authenticatorAttachment: this.attachment,
    };
  }
}
