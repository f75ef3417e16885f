// The audit log's hash chain on both stores: verify passes on an intact log (also under concurrent
// writers), and pinpoints an event altered, removed or cut off directly in the database.
// `gatehouse audit verify` reports the same from the command line.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { migrate, openDatabase, type Database } from '../../../adapters/database.ts';
import { createKnexAuditLog } from '../../../adapters/audit-store.ts';
import { recentSignIns } from '../../../accounts/audit.ts';
import { describeFor, storeMatrix } from '../../helpers/stores.ts';
import { uniqueName } from '../../helpers/gatehouse-server.ts';

const run = promisify(execFile);

for (const store of storeMatrix()) {
  describeFor(store, 'audit hash chain', () => {
    let db: Database;
    let schema: string | undefined;
    let log: ReturnType<typeof createKnexAuditLog>;
    const orgA = randomUUID();
    const orgB = randomUUID();

    before(async () => {
      schema = store.databaseUrl ? uniqueName('gh_audit_') : undefined;
      db = await openDatabase({ databaseUrl: store.databaseUrl, schema });
      await migrate(db.knex);
      log = createKnexAuditLog(db.knex);
    });
    after(async () => {
      if (schema) await db.knex.raw('drop schema if exists ?? cascade', [schema]);
      await db?.close();
    });
    beforeEach(async () => {
      await db.knex('audit_events').delete();
      await db.knex('audit_chain_heads').delete();
    });

    async function seed() {
      for (let i = 0; i < 5; i++) {
        await log.record({ actor: `admin-${i}`, action: 'group.create', target: `g${i}`, organizationId: i % 2 ? orgB : orgA, outcome: 'success', ip: '10.0.0.1', userAgent: 'test', details: { z: 1, a: [i, 'x'] } });
      }
      await log.record({ action: 'session.sign_in', outcome: 'failure', details: { username: 'nobody' } });
      // Linked as the server's linker does a moment after writing; tampering below happens after that.
      await log.flush();
    }

    it('passes on an intact log: one chain per organization plus the global one', async () => {
      await seed();
      const result = await log.verify();
      assert.deepEqual(result.breaks, []);
      assert.equal(result.events, 6);
      assert.equal(result.chains, 3);
      const rows = await db.knex('audit_events').where({ organization_id: orgA }).orderBy('id');
      assert.equal(rows[0].prev_hash, null);
      assert.equal(rows[1].prev_hash, rows[0].hash, 'each event stores the previous one’s hash');
    });

    it('stays intact with concurrent writers in one organization (linked in one order afterwards)', async () => {
      await Promise.all(Array.from({ length: 30 }, (_, i) => log.record({ action: 'user.name_change', target: `u${i}`, organizationId: orgA, outcome: 'success' })));
      const result = await log.verify();
      assert.deepEqual(result.breaks, []);
      assert.equal(result.events, 30);
    });

    it('links many organizations in one run, and two linkers at once keep every chain intact', async function () {
      const orgs = Array.from({ length: 12 }, () => randomUUID());
      await Promise.all(orgs.flatMap((organizationId, o) => Array.from({ length: 5 }, (_, i) => log.record({ action: 'session.sign_in', target: `u${o}-${i}`, organizationId, outcome: 'success' }))));
      if (store.databaseUrl) {
        // A second process's linker running at the same time as ours (PGlite is one process's database).
        const other = await openDatabase({ databaseUrl: store.databaseUrl, schema });
        try {
          await Promise.all([log.flush(), createKnexAuditLog(other.knex, { background: false }).flush()]);
        } finally {
          await other.close();
        }
      }
      const result = await log.verify();
      assert.deepEqual(result.breaks, []);
      for (const organizationId of orgs) {
        const seqs = (await db.knex('audit_events').where({ organization_id: organizationId }).orderBy('id').select('seq')).map((r) => Number(r.seq));
        assert.deepEqual(seqs, [1, 2, 3, 4, 5], `organization ${organizationId} is one chain in write order`);
      }
    });

    it('never makes a writer wait for the chain: events are written while another process holds the link lock', async function () {
      if (!store.databaseUrl) this.skip(); // PGlite is one connection: a held transaction blocks every query
      // Another process's linker, stuck mid-run on orgA's chain.
      const holder = await openDatabase({ databaseUrl: store.databaseUrl, schema });
      const trx = await holder.knex.transaction();
      try {
        await trx.raw(`select pg_advisory_xact_lock(${0x61756474}, hashtext(?))`, [orgA]);
        await Promise.all(Array.from({ length: 20 }, (_, i) => log.record({ action: 'session.sign_in', target: `u${i}`, organizationId: orgA, outcome: 'success' })));
        const written = await db.knex('audit_events').where({ organization_id: orgA }).count<{ count: string }[]>('* as count');
        assert.equal(Number(written[0].count), 20, 'all 20 are stored while the chain is locked');
        const linked = await db.knex('audit_events').where({ organization_id: orgA }).whereNotNull('seq').count<{ count: string }[]>('* as count');
        assert.equal(Number(linked[0].count), 0, 'none is linked while another linker holds the chain');
      } finally {
        await trx.commit();
        await holder.close();
      }
      const result = await log.verify();
      assert.deepEqual(result.breaks, []);
      assert.equal(result.events, 20);
      const seqs = (await db.knex('audit_events').where({ organization_id: orgA }).orderBy('seq').select('seq')).map((r) => Number(r.seq));
      assert.deepEqual(seqs, Array.from({ length: 20 }, (_, i) => i + 1));
    });

    it('pinpoints a row altered directly in the database', async () => {
      await seed();
      const victim = await db.knex('audit_events').where({ organization_id: orgA }).orderBy('id').offset(1).first();
      await db.knex('audit_events').where({ id: victim.id }).update({ outcome: 'failure' });
      const result = await log.verify();
      assert.equal(result.breaks.length, 1);
      assert.equal(result.breaks[0].chain, orgA);
      assert.equal(result.breaks[0].eventId, String(victim.id));
      assert.match(result.breaks[0].reason, /does not match its hash/);
    });

    it('pinpoints a row whose stored hash was replaced', async () => {
      await seed();
      const [first, second] = await db.knex('audit_events').where({ organization_id: orgA }).orderBy('id').limit(2);
      await db.knex('audit_events').where({ id: first.id }).update({ hash: 'f'.repeat(64) });
      const result = await log.verify();
      assert.equal(result.breaks[0].eventId, String(first.id));
      assert.ok(second);
    });

    it('pinpoints a removed event (the next link breaks) and a cut-off tail (the head disagrees)', async () => {
      await seed();
      const rows = await db.knex('audit_events').where({ organization_id: orgA }).orderBy('id');
      await db.knex('audit_events').where({ id: rows[1].id }).delete();
      let result = await log.verify();
      assert.equal(result.breaks[0].eventId, String(rows[2].id));
      assert.match(result.breaks[0].reason, /previous event/);

      await db.knex('audit_events').delete();
      await db.knex('audit_chain_heads').delete();
      await seed();
      const last = await db.knex('audit_events').where({ organization_id: orgB }).orderBy('id', 'desc').first();
      await db.knex('audit_events').where({ id: last.id }).delete();
      result = await log.verify();
      assert.equal(result.breaks.length, 1);
      assert.equal(result.breaks[0].chain, orgB);
      assert.match(result.breaks[0].reason, /ends before its recorded head/);
    });

    it('gives a person their own recent sign-ins, newest first', async () => {
      const account = randomUUID();
      await log.record({ actor: account, action: 'session.sign_in', target: account, outcome: 'success', ip: '192.0.2.1', userAgent: 'Firefox', details: { amr: ['pwd', 'mfa', 'otp'] } });
      await log.record({ action: 'session.sign_in', target: account, outcome: 'failure', ip: '198.51.100.7', userAgent: 'curl', details: { method: 'password' } });
      await log.record({ actor: randomUUID(), action: 'session.sign_in', target: randomUUID(), outcome: 'success' });
      const mine = await recentSignIns(log, account);
      assert.deepEqual(mine.map((s) => [s.outcome, s.ip, s.method]), [['failure', '198.51.100.7', 'password'], ['success', '192.0.2.1', 'pwd+mfa+otp']]);
    });
  });
}

describe('gatehouse audit verify (CLI)', () => {
  let dataDir: string;
  before(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-audit-cli-'));
  });
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const cli = (args: string[]) =>
    run(process.execPath, [path.resolve('server/cli.ts'), ...args], { env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '', LOG_LEVEL: 'silent' } })
      .then((r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }))
      .catch((e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }));

  it('reports ok on an intact log and the first broken event after a row is altered (exit 1)', async function () {
    this.timeout(120_000); // two fresh embedded stores and two CLI processes
    const db = await openDatabase({ dataDir });
    await migrate(db.knex);
    const log = createKnexAuditLog(db.knex);
    const org = randomUUID();
    for (let i = 0; i < 3; i++) await log.record({ action: 'group.create', target: `g${i}`, organizationId: org, outcome: 'success' });
    await db.close();

    const intact = await cli(['audit', 'verify']);
    assert.equal(intact.code, 0, intact.stderr);
    assert.equal(JSON.parse(intact.stdout).ok, true);
    assert.equal(JSON.parse(intact.stdout).events, 3);

    const again = await openDatabase({ dataDir });
    const victim = await again.knex('audit_events').orderBy('id').offset(1).first();
    await again.knex('audit_events').where({ id: victim.id }).update({ target: 'tampered' });
    await again.close();

    const broken = await cli(['audit', 'verify']);
    assert.equal(broken.code, 1);
    const report = JSON.parse(broken.stdout);
    assert.equal(report.ok, false);
    assert.equal(report.firstBroken.eventId, String(victim.id));
    assert.equal(report.firstBroken.chain, org);
  });
});
