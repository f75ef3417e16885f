// Runs the adapter contract on embedded PGlite always, and on PostgreSQL when DATABASE_URL is set.
import assert from 'node:assert/strict';
import { migrate, openDatabase, type Database } from './database.ts';
import type { Knex } from 'knex';
import { runAdapterContract, type ContractAdapter } from './oidc-adapter.contract.ts';
import { cacheStateReads } from './state-read-cache.ts';
import { delegateTo, type StateAdapterFactory } from './state-adapter.ts';
import { createSqlAdapterFactory, purgeExpired } from './oidc-sql-adapter.ts';

type Store = { db: Database; dispose: () => Promise<void> };

async function openPglite(): Promise<Store> {
  const db = await openDatabase({});
  await migrate(db.knex);
  return { db, dispose: () => db.close() };
}

async function openPostgres(databaseUrl: string): Promise<Store> {
  // A schema per process keeps parallel test runs on one database apart.
  const schema = `gh_test_adapter_${process.pid}`;
  const db = await openDatabase({ databaseUrl, schema });
  await migrate(db.knex);
  return {
    db,
    dispose: async () => {
      await db.knex.raw('drop schema if exists ?? cascade', [schema]);
      await db.close();
    },
  };
}

function sqlSuites(storeName: string, open: () => Promise<Store>): void {
  runAdapterContract(`oidc sql adapter (${storeName})`, async () => {
    const { db, dispose } = await open();
    return {
      factory: createSqlAdapterFactory(db.knex),
      close: dispose,
      reset: async () => {
        await db.knex('oidc_payloads').del();
      },
    };
  });

  describe(`oidc sql adapter purgeExpired (${storeName})`, function () {
    let store: Store | undefined;
    before(async function () {
      store = await open();
    });
    after(async function () {
      await store?.dispose();
    });

    it('deletes expired rows of every model and keeps live ones', async function () {
      const { knex } = store!.db;
      const adapter = createSqlAdapterFactory(knex);
      await adapter('AccessToken').upsert('gone-1', { jti: 'gone-1' }, -10);
      await adapter('Session').upsert('gone-2', { jti: 'gone-2' }, -1);
      await adapter('Session').upsert('live', { jti: 'live' }, 300);
      await adapter('Grant').upsert('forever', { jti: 'forever' });

      assert.equal(await purgeExpired(knex), 2);
      const left = await knex('oidc_payloads').orderBy('id').pluck('id');
      assert.deepEqual(left, ['forever', 'live']);
    });
  });
}

sqlSuites('pglite', openPglite);

// The embedded store's read cache (adapters/state-read-cache.ts) must keep the whole contract.
runAdapterContract('oidc sql adapter with the read cache (pglite)', async () => {
  const { db, dispose } = await openPglite();
  let factory = cacheStateReads(createSqlAdapterFactory(db.knex) as unknown as StateAdapterFactory);
  return {
    factory: (model) => factory(model) as unknown as ContractAdapter,
    close: dispose,
    reset: async () => {
      await db.knex('oidc_payloads').del();
      factory = cacheStateReads(createSqlAdapterFactory(db.knex) as unknown as StateAdapterFactory); // the rows went behind its back
    },
  };
});

describe('the read cache of the embedded store', function () {
  let store: Store | undefined;
  before(async function () {
    store = await openPglite();
  });
  after(async function () {
    await store?.dispose();
  });

  /** Counts the statements that read oidc_payloads. */
  function countReads(knex: Knex): { reads: number; stop: () => void } {
    const counter = { reads: 0, stop: () => knex.removeListener('query', listener) };
    const listener = (q: { sql: string }) => {
      if (/^select .* from "oidc_payloads"/.test(q.sql)) counter.reads++;
    };
    knex.on('query', listener);
    return counter;
  }

  it('answers a find of what it saved without the store, a fresh copy each time', async function () {
    const adapter = cacheStateReads(createSqlAdapterFactory(store!.db.knex) as unknown as StateAdapterFactory)('Interaction');
    await adapter.upsert('i-1', { jti: 'i-1', params: { scope: 'openid' } }, 300);
    const counter = countReads(store!.db.knex);
    const first = await adapter.find('i-1');
    (first!.params as Record<string, unknown>).scope = 'changed';
    assert.deepEqual(await adapter.find('i-1'), { jti: 'i-1', params: { scope: 'openid' } });
    counter.stop();
    assert.equal(counter.reads, 0);
  });

  it('never answers with what a destroy, consume or grant revocation replaced, even while a save is in flight', async function () {
    const factory = cacheStateReads(createSqlAdapterFactory(store!.db.knex) as unknown as StateAdapterFactory);
    const codes = factory('AuthorizationCode');
    await codes.upsert('c-1', { jti: 'c-1', grantId: 'g-1' }, 300);
    await codes.consume('c-1');
    assert.equal(typeof (await codes.find('c-1'))!.consumed, 'number');

    // A save whose row is written but whose answer is still on its way when a destroy of it runs.
    const sql = createSqlAdapterFactory(store!.db.knex) as unknown as StateAdapterFactory;
    let written!: () => void;
    let answer!: () => void;
    const held = new Promise<void>((resolve) => (answer = resolve));
    const sessions = cacheStateReads((model) => ({
      ...delegateTo(sql(model)),
      upsert: async (id, payload, expiresIn) => {
        await sql(model).upsert(id, payload, expiresIn);
        written();
        await held;
      },
    }))('Session');
    const save = new Promise<void>((resolve) => (written = resolve)).then(() => sessions.destroy('s-1')).then(() => answer());
    await Promise.all([sessions.upsert('s-1', { jti: 's-1' }, 300), save]);
    assert.equal(await sql('Session').find('s-1'), undefined);
    assert.equal(await sessions.find('s-1'), undefined);

    const tokens = factory('AccessToken');
    await tokens.upsert('t-1', { jti: 't-1', grantId: 'g-2' }, 300);
    await tokens.revokeByGrantId('g-2');
    assert.equal(await tokens.find('t-1'), undefined);
  });

  it('keeps at most its limit of entries, dropping the least recently saved', async function () {
    const adapter = cacheStateReads(createSqlAdapterFactory(store!.db.knex) as unknown as StateAdapterFactory, 2)('Grant');
    for (const id of ['g-a', 'g-b', 'g-c']) await adapter.upsert(id, { jti: id }, 300);
    const counter = countReads(store!.db.knex);
    assert.deepEqual(await adapter.find('g-a'), { jti: 'g-a' }); // from the store
    assert.deepEqual(await adapter.find('g-c'), { jti: 'g-c' });
    counter.stop();
    assert.equal(counter.reads, 1);
  });
});

const databaseUrl = process.env.DATABASE_URL;
if (databaseUrl) sqlSuites('postgres', () => openPostgres(databaseUrl));
else it.skip('oidc sql adapter on PostgreSQL (skipped: DATABASE_URL not set)');
