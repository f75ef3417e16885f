import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { migrate, openDatabase, type Database } from '../adapters/database.ts';
import { createSecretBox } from '../adapters/secret-box.ts';
import { createSigningKeyStore } from '../adapters/signing-key-store.ts';
import { RETIRED_KEY_GRACE_SECONDS } from '../accounts/security-constants.ts';
import { loadSigningKeys, rotateSigningKeys } from './signing-keys.ts';

describe('signing keys', () => {
  let db: Database;
  const box = createSecretBox(randomBytes(32));
  before(async () => {
    db = await openDatabase({});
    await migrate(db.knex);
  });
  after(() => db.close());

  it('generates RS256 and ES256 on first start and stores them encrypted', async () => {
    const store = createSigningKeyStore(db.knex, box);
    const keys = await loadSigningKeys(store);
    assert.deepEqual(keys.map((k) => k.alg).sort(), ['ES256', 'RS256']);
    assert.ok(keys.every((k) => typeof k.d === 'string'), 'private parts for signing');
    const rows = await db.knex('signing_keys').select('encrypted_jwk');
    assert.ok(rows.every((r) => r.encrypted_jwk.startsWith('v1.') && !r.encrypted_jwk.includes('"d"')));
    assert.equal((await loadSigningKeys(store)).length, 2, 'a second start reuses them');
  });

  it('rotation puts new keys first and keeps the old ones for verification until the grace period ends', async () => {
    const store = createSigningKeyStore(db.knex, box);
    const before = await loadSigningKeys(store);
    const added = await rotateSigningKeys(store);
    const after = await loadSigningKeys(store);
    assert.deepEqual(after.slice(0, 2).map((k) => k.kid).sort(), added.map((k) => k.kid).sort(), 'new keys sign');
    assert.deepEqual(after.slice(2).map((k) => k.kid).sort(), before.map((k) => k.kid).sort(), 'old keys still published');
    const later = new Date(Date.now() + (RETIRED_KEY_GRACE_SECONDS + 60) * 1000);
    assert.deepEqual((await loadSigningKeys(store, later)).map((k) => k.kid).sort(), added.map((k) => k.kid).sort(), 'dropped after the grace period');
  });

  it('cannot be read with another key-encryption key', async () => {
    const other = createSigningKeyStore(db.knex, createSecretBox(randomBytes(32)));
    await assert.rejects(other.list());
  });
});
