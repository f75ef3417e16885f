// A statement compiled once (and prepared per connection) answers like the builder it came from, with
// each call's values in their places, on the embedded store and on PostgreSQL.
import assert from 'node:assert/strict';
import { migrate, openDatabase, type Database } from './database.ts';
import { compileQuery } from './compiled-query.ts';

function compiledQueries(title: string, open: () => Promise<Database>, cleanUp: (db: Database) => Promise<void> = async () => {}) {
  describe(title, () => {
    let db: Database;
    before(async () => {
      db = await open();
      await migrate(db.knex);
      await db.knex.schema.createTable('gadgets', (t) => {
        t.integer('id').primary();
        t.text('name');
      });
      await db.knex('gadgets').insert([{ id: 1, name: 'Alpha' }, { id: 2, name: 'Beta' }, { id: 3, name: 'Gamma' }]);
    });
    after(async () => {
      if (db) await cleanUp(db);
      await db?.close();
    });

    it('puts each value where its parameter stands, keeps the constants, and matches the builder', async () => {
      const build = (knex: Database['knex'], name: string, notId: number) =>
        knex('gadgets').whereIn('name', [name, 'Gamma']).whereNot('id', notId).orderBy('name').limit(5).select('id', 'name');
      const named = compileQuery<{ id: number; name: string }>((knex, param) => build(knex, param(0), param(1) as unknown as number));
      for (const [name, notId] of [['Alpha', 3], ['Beta', 9]] as const) {
        assert.deepEqual(await named(db.knex, [name, notId]), await build(db.knex, name, notId));
      }
      assert.deepEqual((await named(db.knex, ['Alpha', 3])).map((r) => r.name), ['Alpha']);
      assert.deepEqual((await named(db.knex, ['Beta', 1])).map((r) => r.name), ['Beta', 'Gamma']);
      // Concurrent calls (on PostgreSQL spread over pooled connections, each preparing it once).
      const many = await Promise.all([1, 2, 3, 1, 2, 3].map((id) => named(db.knex, ['Zeta', id])));
      assert.deepEqual(many.map((rows) => rows.map((r) => r.id)), [1, 2, 3, 1, 2, 3].map((id) => (id === 3 ? [] : [3])));
    });

    it('runs inside the transaction it is given', async () => {
      const byName = compileQuery<{ name: string }>((knex, param) => knex('gadgets').where('name', param(0)).select('name'));
      await db.knex
        .transaction(async (trx) => {
          await trx('gadgets').insert({ id: 4, name: 'Delta' });
          assert.deepEqual(await byName(trx, ['Delta']), [{ name: 'Delta' }]);
          await trx.rollback();
        })
        .catch(() => {});
      assert.deepEqual(await byName(db.knex, ['Delta']), []);
    });

    it("reports the database's error for one call and answers the next", async () => {
      const insert = compileQuery((knex, param) => knex('gadgets').insert({ id: param(0), name: param(1) }));
      await assert.rejects(insert(db.knex, [1, 'Again']), (err: { code?: string }) => err.code === '23505');
      await insert(db.knex, [5, 'Epsilon']);
      const byId = compileQuery<{ name: string }>((knex, param) => knex('gadgets').where('id', param(0)).select('name'));
      assert.deepEqual(await byId(db.knex, [5]), [{ name: 'Epsilon' }]);
    });

    it('still answers, with the new shape, after a migration adds a column', async () => {
      const byId = compileQuery<Record<string, unknown>>((knex, param) => knex('gadgets').where('id', param(0)).select('*'));
      assert.equal((await byId(db.knex, [1]))[0].name, 'Alpha');
      // What a rolling deployment does while this process runs: its prepared `select *` now has another shape.
      await db.knex.schema.alterTable('gadgets', (t) => {
        t.text('colour').defaultTo('red');
      });
      const after = await Promise.all([1, 2, 1, 2].map((id) => byId(db.knex, [id])));
      assert.deepEqual(after.map((rows) => [rows[0].name, rows[0].colour]), [['Alpha', 'red'], ['Beta', 'red'], ['Alpha', 'red'], ['Beta', 'red']]);
    });
  });
}

compiledQueries('compiled queries (embedded PGlite)', () => openDatabase({}));

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  it.skip('compiled queries on PostgreSQL (skipped: DATABASE_URL not set)');
} else {
  const schema = `gh_compiled_${process.pid}`;
  compiledQueries(
    'compiled queries (PostgreSQL, prepared per connection)',
    () => openDatabase({ databaseUrl, schema, poolMax: 2 }),
    async (db) => {
      await db.knex.raw('drop schema if exists ?? cascade', [schema]);
    },
  );
}
