import assert from 'node:assert/strict';
import { createPasswordHasher } from './password-hasher.ts';
import { createSemaphore } from './semaphore.ts';

describe('password hasher', () => {
  const hasher = createPasswordHasher();

  it('hashes with argon2id at the OWASP parameters and verifies', async () => {
    const hash = await hasher.hash('Passw0rd!');
    assert.match(hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    assert.equal(await hasher.verify(hash, 'Passw0rd!'), true);
    assert.equal(await hasher.verify(hash, 'passw0rd!'), false);
    assert.equal(hasher.needsRehash(hash), false);
  });

  it('reports hashes made with weaker parameters as needing a rehash', async () => {
    const weak = createPasswordHasher({ parameters: { memoryCost: 8192, timeCost: 1, parallelism: 1 } });
    const hash = await weak.hash('Passw0rd!');
    assert.equal(hasher.needsRehash(hash), true);
    assert.equal(await hasher.verify(hash, 'Passw0rd!'), true);
  });

  it('returns false for an unknown user and for a malformed hash', async () => {
    assert.equal(await hasher.verify(undefined, 'Passw0rd!'), false);
    assert.equal(await hasher.verify('not-a-hash', 'Passw0rd!'), false);
  });

  it('never runs more tasks at once than its limit', async () => {
    const gate = createSemaphore(2);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        gate.run(async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 5));
          active--;
        }),
      ),
    );
    assert.equal(peak, 2);
  });
});
