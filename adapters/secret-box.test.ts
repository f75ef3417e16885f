import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSecretBox } from './secret-box.ts';

describe('secret box', () => {
  const box = createSecretBox(randomBytes(32));

  it('round-trips and never stores the plaintext', () => {
    const sealed = box.seal('{"d":"private"}');
    assert.ok(!sealed.includes('private'));
    assert.equal(box.open(sealed), '{"d":"private"}');
    assert.notEqual(box.seal('same'), box.seal('same'));
  });

  it('refuses a tampered ciphertext and a wrong key', () => {
    const sealed = box.seal('secret');
    const parts = sealed.split('.');
    parts[3] = Buffer.from('SECRET').toString('base64url');
    assert.throws(() => box.open(parts.join('.')));
    assert.throws(() => createSecretBox(randomBytes(32)).open(sealed));
  });
});
