// The embedded store's account reads across requests: served from memory, yet every write is seen by
// the next read. Counts the statements PGlite runs (knex's query event) to tell a cached read from a real one.
import assert from 'node:assert/strict';
import { migrate, openDatabase, type Database } from './database.ts';
import { createKnexAccountStore } from './account-store.ts';
import { cacheAccountReads } from './account-read-cache.ts';
import type { AccountStore } from '../accounts/account.ts';

describe('account read cache (embedded store)', () => {
  let db: Database;
  let accounts: AccountStore;
  let statements = 0;
  const newAccount = async (username: string) =>
    (await accounts.createAccountWithOrganization({ account: { username, email: `${username}@example.org` }, passwordHash: 'not-a-hash', organizationName: `${username} Inc` })).account;
  /** Statements run by `work`. */
  const counted = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
    const before = statements;
    const result = await work();
    return [result, statements - before];
  };

  before(async () => {
    db = await openDatabase({});
    await migrate(db.knex);
    db.knex.on('query', () => statements++);
    accounts = cacheAccountReads(createKnexAccountStore(db.knex), db.onAccountWrite!);
  });
  after(() => db.close());

  it('reads an account once, then answers from memory with a copy each caller may change', async () => {
    const { id } = await newAccount('cache_once');
    const [first, firstStatements] = await counted(() => accounts.findById(id));
    assert.equal(first?.username, 'cache_once');
    assert.equal(firstStatements, 1);
    first!.name = 'Changed By A Caller';
    first!.roles.push('member' as never);
    const [second, secondStatements] = await counted(() => accounts.findById(id));
    assert.equal(secondStatements, 0);
    assert.equal(second?.name, null);
    assert.deepEqual(second?.roles.sort(), ['admin', 'owner']);
  });

  it('sees a write of any statement to accounts, memberships or organizations at the next read', async () => {
    const { id } = await newAccount('cache_write');
    await accounts.findById(id);
    await db.knex('accounts').where({ id }).update({ name: 'Renamed' });
    assert.equal((await accounts.findById(id))?.name, 'Renamed');
    const organizationId = (await accounts.findById(id))!.organization!.id;
    await db.knex('organizations').where({ id: organizationId }).update({ name: 'Renamed Inc' });
    assert.equal((await accounts.findById(id))?.organization?.name, 'Renamed Inc');
    await db.knex('memberships').where({ account_id: id, role: 'admin' }).del();
    assert.deepEqual((await accounts.findById(id))?.roles, ['owner']);
    // Raw SQL, in a transaction, inside a CTE: all go through the same client.
    await db.knex.transaction((trx) => trx.raw('with changed as (update accounts set name = ? where id = ? returning id) select count(*) from changed', ['In A Transaction', id]));
    assert.equal((await accounts.findById(id))?.name, 'In A Transaction');
    await db.knex('accounts').where({ id }).del();
    assert.equal(await accounts.findById(id), undefined);
  });

  it("a write naming its account drops that account's entry alone", async () => {
    const one = await newAccount('cache_one');
    const other = await newAccount('cache_other');
    await accounts.findById(one.id);
    await accounts.findById(other.id);
    await accounts.setLanguage(one.id, 'nb');
    const [read, readStatements] = await counted(() => accounts.findById(one.id));
    assert.equal(read?.language, 'nb');
    assert.equal(readStatements, 1);
    const [, otherStatements] = await counted(() => accounts.findById(other.id));
    assert.equal(otherStatements, 0, 'the other account stays cached');
  });

  it('does not keep a read that a write overtook', async () => {
    const { id } = await newAccount('cache_race');
    // The read starts first and PGlite runs statements in order, so it returns the row before the write.
    const reading = accounts.findById(id);
    const writing = db.knex('accounts').where({ id }).update({ name: 'Written Meanwhile' });
    assert.equal((await reading)?.name, null);
    await writing;
    assert.equal((await accounts.findById(id))?.name, 'Written Meanwhile');
  });

  it('is not used with PostgreSQL: only the embedded store hears its writes', async function () {
    const databaseUrl = process.env.DATABASE_URL;
    if (!databaseUrl) this.skip();
    const postgres = await openDatabase({ databaseUrl, schema: `gh_test_account_cache_${process.pid}` });
    try {
      assert.equal(postgres.onAccountWrite, undefined);
    } finally {
      await postgres.knex.raw('drop schema if exists ?? cascade', [`gh_test_account_cache_${process.pid}`]);
      await postgres.close();
    }
  });
});
