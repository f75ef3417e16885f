// The per-account index of provider sessions and grants, and revocation through it, over the SQL
// adapter on embedded PGlite (the Redis adapter is exercised by the password-reset integration
// test when REDIS_URL is set).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { migrate, openDatabase, type Database } from './database.ts';
import { createAccountStateIndex, createSessionRevoker, indexAccountState, type StateAdapter } from './account-state-index.ts';
import { createSqlAdapterFactory } from './oidc-sql-adapter.ts';

describe('account state index and session revocation (SQL adapter)', () => {
  let db: Database;
  let factory: (model: string) => StateAdapter;
  let revoker: ReturnType<typeof createSessionRevoker>;

  before(async () => {
    db = await openDatabase({});
    await migrate(db.knex);
    const index = createAccountStateIndex(db.knex);
    factory = indexAccountState(createSqlAdapterFactory(db.knex) as unknown as (model: string) => StateAdapter, index);
    revoker = createSessionRevoker({ index, stateAdapter: factory });
  });
  after(() => db?.close());

  async function account() {
    const id = randomUUID();
    await db.knex('accounts').insert({ id, username: `u_${id.slice(0, 8)}`, email: 'a@example.com' });
    return id;
  }
  async function session(accountId: string, grants: Record<string, string> = {}) {
    const id = randomUUID();
    const uid = randomUUID();
    const authorizations = Object.fromEntries(Object.entries(grants).map(([client, grantId]) => [client, { grantId }]));
    await factory('Session').upsert(id, { jti: id, uid, accountId, authorizations, kind: 'Session' }, 3600);
    return { id, uid };
  }
  async function grant(accountId: string) {
    const id = randomUUID();
    await factory('Grant').upsert(id, { jti: id, accountId, clientId: 'app', kind: 'Grant' }, 3600);
    const token = randomUUID();
    await factory('RefreshToken').upsert(token, { jti: token, grantId: id, accountId, kind: 'RefreshToken' }, 3600);
    return { id, token };
  }

  it('revokes every session, grant and token of the account, and nobody else\'s', async () => {
    const a = await account();
    const b = await account();
    const s1 = await session(a);
    const s2 = await session(a);
    const g = await grant(a);
    const other = await session(b);
    const otherGrant = await grant(b);
    assert.deepEqual(await revoker.revokeAccount(a), { sessions: 2, grants: 1 });
    assert.equal(await factory('Session').find(s1.id), undefined);
    assert.equal(await factory('Session').find(s2.id), undefined);
    assert.equal(await factory('Grant').find(g.id), undefined);
    assert.equal(await factory('RefreshToken').find(g.token), undefined);
    assert.ok(await factory('Session').find(other.id));
    assert.ok(await factory('RefreshToken').find(otherGrant.token));
  });

  it('keeps the person\'s own session and the grants it holds', async () => {
    const a = await account();
    const keep = await grant(a);
    const mine = await session(a, { 'gatehouse-account': keep.id });
    const elsewhere = await session(a);
    const stray = await grant(a);
    assert.deepEqual(await revoker.revokeAccount(a, { keepSessionUid: mine.uid }), { sessions: 1, grants: 1 });
    assert.ok(await factory('Session').find(mine.id));
    assert.ok(await factory('RefreshToken').find(keep.token));
    assert.equal(await factory('Session').find(elsewhere.id), undefined);
    assert.equal(await factory('RefreshToken').find(stray.token), undefined);
  });

  it('leaves a session alone that now belongs to someone else (stale index)', async () => {
    const a = await account();
    const b = await account();
    const s = await session(a);
    await factory('Session').upsert(s.id, { jti: s.id, uid: s.uid, accountId: b, kind: 'Session' }, 3600);
    assert.deepEqual(await revoker.revokeAccount(a), { sessions: 0, grants: 0 });
    assert.ok(await factory('Session').find(s.id));
  });

  it('never fails the provider\'s save for an account that no longer exists', async () => {
    await session(randomUUID());
    await session('not-a-uuid');
  });
});
