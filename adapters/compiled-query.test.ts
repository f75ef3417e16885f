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
    const named = compileQuery<{ id: string; name: string }>(db.knex, (param) => build(db.knex, param(0), param(1)));
    for (const [name, notId] of [['Alpha', '00000000-0000-4000-8000-000000000003'], ['Beta', '00000000-0000-4000-8000-000000000009']]) {
      assert.deepEqual(await named([name, notId]), await build(db.knex, name, notId));
    }
    assert.deepEqual((await named(['Alpha', '00000000-0000-4000-8000-000000000003'])).map((r) => r.name), ['Alpha']);
    assert.deepEqual((await named(['Beta', '00000000-0000-4000-8000-000000000001'])).map((r) => r.name), ['Beta', 'Gamma']);
  });

  it('runs inside the transaction it is given', async () => {
    const byName = compileQuery<{ name: string }>(db.knex, (param) => db.knex('organizations').where('name', param(0)).select('name'));
    await db.knex.transaction(async (trx) => {
      await trx('organizations').insert({ id: '00000000-0000-4000-8000-000000000004', name: 'Delta' });
      assert.deepEqual(await byName(['Delta'], trx), [{ name: 'Delta' }]);
      await trx.rollback();
    }).catch(() => {});
    assert.deepEqual(await byName(['Delta']), []);
  });
});
