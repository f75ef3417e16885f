// Runs the adapter contract on embedded PGlite always, and on PostgreSQL when DATABASE_URL is set.
import assert from 'node:assert/strict';
import { migrate, openDatabase, type Database } from './database.ts';
import { runAdapterContract } from './oidc-adapter.contract.ts';
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

const databaseUrl = process.env.DATABASE_URL;
if (databaseUrl) sqlSuites('postgres', () => openPostgres(databaseUrl));
else it.skip('oidc sql adapter on PostgreSQL (skipped: DATABASE_URL not set)');
