import assert from 'node:assert/strict';
import { newTotpSecret, totpCode, totpUri, verifyTotp } from './totp.ts';

describe('TOTP', () => {
  const secret = newTotpSecret();
  const now = 1_790_000_010_000; // 10 s into a 30 s step

  it('accepts the current step and reports it', async () => {
    const step = await verifyTotp(secret, await totpCode(secret, now), now);
    assert.equal(step, Math.floor(now / 1000 / 30));
  });

  it('accepts the previous step', async () => {
    const step = await verifyTotp(secret, await totpCode(secret, now - 30_000), now);
    assert.equal(step, Math.floor(now / 1000 / 30) - 1);
  });

  it('refuses two steps back and any future step', async () => {
    assert.equal(await verifyTotp(secret, await totpCode(secret, now - 60_000), now), null);
    assert.equal(await verifyTotp(secret, await totpCode(secret, now + 30_000), now), null);
  });

  it('refuses malformed codes', async () => {
    for (const code of ['', '12345', '1234567', 'abcdef', '12 456']) assert.equal(await verifyTotp(secret, code, now), null);
  });

  it('builds an otpauth URI apps understand', () => {
    const uri = new URL(totpUri(secret, 'alice', 'Gatehouse'));
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.searchParams.get('secret'), secret);
    assert.equal(uri.searchParams.get('issuer'), 'Gatehouse');
    assert.ok(secret.length >= 32, '160-bit seed in base32');
  });
});
