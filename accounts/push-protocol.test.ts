// The push protocol's pure parts: number matching, key checks, signatures, enrolment codes.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import {
  approvalStatus,
  enrolmentCodeDigest,
  enrolmentUri,
  newEnrolmentCode,
  numberMatching,
  parseDevicePublicKey,
  parseEnrolmentInput,
  signingInput,
  verifyDeviceSignature,
  type PushApproval,
} from './push-protocol.ts';

describe('push protocol', () => {
  it('offers three distinct two-digit choices, the number among them', () => {
    for (let i = 0; i < 200; i++) {
      const { number, choices } = numberMatching();
      assert.ok(number >= 10 && number <= 99);
      assert.equal(new Set(choices).size, 3);
      assert.ok(choices.includes(number));
      assert.ok(choices.every((n) => Number.isInteger(n) && n >= 10 && n <= 99));
    }
  });

  it('accepts only the public half of a P-256 key', () => {
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pub = p256.publicKey.export({ format: 'jwk' });
    assert.deepEqual(parseDevicePublicKey({ ...pub, kid: 'ignored' }), { kty: 'EC', crv: 'P-256', x: pub.x, y: pub.y });
    assert.equal(parseDevicePublicKey(p256.privateKey.export({ format: 'jwk' })), undefined, 'a private key is refused');
    assert.equal(parseDevicePublicKey(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' })), undefined);
    assert.equal(parseDevicePublicKey(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' })), undefined);
    assert.equal(parseDevicePublicKey({ kty: 'EC', crv: 'P-256', x: 'A'.repeat(43), y: 'A'.repeat(43) }), undefined, 'not on the curve');
    assert.equal(parseDevicePublicKey('nope'), undefined);
  });

  it('verifies a P1363 signature over method, path, timestamp, nonce and body, and nothing else', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const parts = { method: 'post', pathAndQuery: '/authenticator/v1/approvals/x', timestamp: '1700000000', nonce: 'n'.repeat(16), body: '{"decision":"approve"}' };
    const input = signingInput(parts);
    assert.equal(input.split('\n')[1], 'POST');
    const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    assert.equal(verifyDeviceSignature(jwk, input, signature), true);
    assert.equal(verifyDeviceSignature(jwk, signingInput({ ...parts, body: '{"decision":"deny"}' }), signature), false);
    assert.equal(verifyDeviceSignature(jwk, signingInput({ ...parts, timestamp: '1700000001' }), signature), false);
    const der = sign('sha256', Buffer.from(input), privateKey).toString('base64url');
    assert.equal(verifyDeviceSignature(jwk, input, der), false, 'DER form is not the protocol');
    assert.equal(verifyDeviceSignature(jwk, input, 'garbage'), false);
  });

  it('normalizes enrolment codes and reads the QR URI', () => {
    const code = newEnrolmentCode();
    assert.match(code, /^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/);
    assert.equal(enrolmentCodeDigest(code.toLowerCase().replace(/-/g, ' ')), enrolmentCodeDigest(code));
    assert.notEqual(enrolmentCodeDigest(code), code);
    assert.deepEqual(parseEnrolmentInput(enrolmentUri('https://id.example.com', code)), { code, server: 'https://id.example.com' });
    assert.deepEqual(parseEnrolmentInput(` ${code} `), { code });
  });

  it('judges an approval by its answer, or by the clock while unanswered', () => {
    const approval = { status: 'pending', expiresAt: 1000 } as PushApproval;
    assert.equal(approvalStatus(approval, 999), 'pending');
    assert.equal(approvalStatus(approval, 1000), 'expired');
    assert.equal(approvalStatus({ ...approval, status: 'approved' }, 5000), 'approved');
    assert.equal(approvalStatus(undefined, 0), 'expired');
  });
});
