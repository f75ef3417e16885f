// A statement compiled once answers like the builder it came from, with each call's values in their places.
import assert from 'node:assert/strict';
import { migrate, openDatabase, type Database } from './database.ts';
import { compileQuery } from './compiled-query.ts';

describe('compiled queries (embedded PGlite)', () => {
  let db: Database;
  before(async () => {
    db = await openDatabase({});
    await migrate(db.knex);
    await db.knex('organizations').insert([
      { id: '00000000-0000-4000-8000-000000000001', name: 'Alpha' },
      { id: '00000000-0000-4000-8000-000000000002', name: 'Beta' },
      { id: '00000000-0000-4000-8000-000000000003', name: 'Gamma' },
    ]);
  });
  after(() => db?.close());

  it('puts each value where its parameter stands, keeps the constants, and matches the builder', async () => {
    const build = (knex: typeof db.knex, name: string, notId: string) =>
      knex('organizations').whereIn('name', [name, 'Gamma']).whereNot('id', notId).orderBy('name').limit(5).select('id', 'name');
    const named = compileQuery<{ id: string; name: string }>((knex, param) => build(knex, param(0), param(1)));
    for (const [name, notId] of [['Alpha', '00000000-0000-4000-8000-000000000003'], ['Beta', '00000000-0000-4000-8000-000000000009']]) {
      assert.deepEqual(await named(db.knex, [name, notId]), await build(db.knex, name, notId));
    }
    assert.deepEqual((await named(db.knex, ['Alpha', '00000000-0000-4000-8000-000000000003'])).map((r) => r.name), ['Alpha']);
    assert.deepEqual((await named(db.knex, ['Beta', '00000000-0000-4000-8000-000000000001'])).map((r) => r.name), ['Beta', 'Gamma']);
  });

  it('runs inside the transaction it is given', async () => {
    const byName = compileQuery<{ name: string }>((knex, param) => knex('organizations').where('name', param(0)).select('name'));
    await db.knex.transaction(async (trx) => {
      await trx('organizations').insert({ id: '00000000-0000-4000-8000-000000000004', name: 'Delta' });
      assert.deepEqual(await byName(trx, ['Delta']), [{ name: 'Delta' }]);
      await trx.rollback();
    }).catch(() => {});
    assert.deepEqual(await byName(db.knex, ['Delta']), []);
  });
});

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  it.skip('compiled queries on PostgreSQL (skipped: DATABASE_URL not set)');
} else {
  describe('compiled queries (PostgreSQL, prepared per connection)', () => {
    let db: Database;
    const schema = `gh_compiled_${process.pid}`;
    before(async () => {
      db = await openDatabase({ databaseUrl, schema, poolMax: 2 });
      await db.knex.schema.createTable('gadgets', (t) => { t.integer('id').primary(); t.text('name'); });
      await db.knex('gadgets').insert([{ id: 1, name: 'one' }, { id: 2, name: 'two' }]);
    });
    after(async () => {
      await db?.knex.raw('drop schema if exists ?? cascade', [schema]);
      await db?.close();
    });

    it('answers on every pooled connection, and still answers with the new shape after a migration adds a column', async () => {
      const byId = compileQuery<Record<string, unknown>>((knex, param) => knex('gadgets').where('id', param(0)).select('*'));
      // Concurrent calls spread over both pooled connections, each preparing the statement once.
      const first = await Promise.all([1, 2, 1, 2, 1, 2].map((id) => byId(db.knex, [id])));
      assert.deepEqual(first.map((rows) => rows[0].name), ['one', 'two', 'one', 'two', 'one', 'two']);

      // What a rolling deployment does while this process runs: its prepared `select *` now has another shape.
      await db.knex.schema.alterTable('gadgets', (t) => { t.text('colour').defaultTo('red'); });
      const after = await Promise.all([1, 2, 1, 2].map((id) => byId(db.knex, [id])));
      assert.deepEqual(after.map((rows) => [rows[0].name, rows[0].colour]), [['one', 'red'], ['two', 'red'], ['one', 'red'], ['two', 'red']]);
    });
  });
}
