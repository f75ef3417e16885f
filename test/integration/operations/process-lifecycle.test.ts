// What an operator sees when starting and stopping Gatehouse: every start-up failure is one line
// naming what to fix, with exit status 1; SIGTERM to `npm start` (what a container runtime sends)
// drains a request in flight and exits 0; with PostgreSQL + Redis, one worker per core, a dead
// worker replaced, and SIGTERM draining them all.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { openDatabase, migrate, type Database } from '../../../adapters/database.ts';
import { createSecretBox } from '../../../adapters/secret-box.ts';
import { createSigningKeyStore } from '../../../adapters/signing-key-store.ts';
import { loadSigningKeys } from '../../../server/signing-keys.ts';
import { databaseUrlWithOwnSchema, jsonLines, startChild, type ChildServer } from '../../helpers/child-server.ts';
import { describeFor, storeMatrix, TEST_DATABASE_URL, TEST_REDIS_URL } from '../../helpers/stores.ts';

/** The spec says 10 s; the bound leaves room for a loaded shared machine and still catches a hang. */
const FAILURE_BOUND_MS = 20_000;

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-lifecycle-'));
}

/** Runs `node server/main.ts` with `env`; returns its exit status and what it printed. */
async function failedStart(env: Record<string, string>) {
  const child = startChild('node', { LOG_LEVEL: 'info', ...env });
  const status = await child.exited(FAILURE_BOUND_MS);
  return { status, lines: child.lines };
}

function assertOneLine(result: { status: number | string; lines: string[] }, pattern: RegExp) {
  assert.equal(result.status, 1, `exit status; output:\n${result.lines.join('\n')}`);
  assert.equal(result.lines.length, 1, `exactly one line, got:\n${result.lines.join('\n')}`);
  assert.match(result.lines[0], /^gatehouse: /);
  assert.match(result.lines[0], pattern);
  assert.ok(!/\bat .+:\d+:\d+/.test(result.lines[0]), 'no stack trace');
}

/** A request the server has received (it answered 100 Continue) whose body is still to come. */
async function requestInFlight(port: number) {
  const body = 'grant_type=client_credentials';
  const req = http.request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
  });
  const response = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
  });
  req.flushHeaders();
  await new Promise<void>((resolve) => req.once('continue', () => resolve()));
  return { finish: () => (req.end(body), response) };
}

const listeningPort = (line: string) => Number(JSON.parse(line).port);
const isListening = (line: string) => line.includes('"msg":"Gatehouse listening');

describe('start-up failures: one line naming what to fix, exit status 1', function () {
  this.timeout(FAILURE_BOUND_MS * 2);

  it('a busy port names PORT', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    try {
      const { port } = blocker.address() as net.AddressInfo;
      const result = await failedStart({ PORT: String(port), DATA_DIR: tempDir() });
      assertOneLine(result, new RegExp(`port ${port} is already in use.*\\bPORT\\b`));
    } finally {
      blocker.close();
    }
  });

  it('an unusable DATA_DIR names DATA_DIR (it used to hang)', async () => {
    assertOneLine(await failedStart({ DATA_DIR: '/proc/nope' }), /DATA_DIR \/proc\/nope is not usable.*set DATA_DIR/);
    const file = path.join(tempDir(), 'a-file');
    fs.writeFileSync(file, '');
    assertOneLine(await failedStart({ DATA_DIR: file }), /DATA_DIR .*a-file is not usable.*set DATA_DIR/);
  });

  it('an unreachable database names DATABASE_URL', async () => {
    const result = await failedStart({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test', DATA_DIR: tempDir() });
    assertOneLine(result, /cannot reach the database at 127\.0\.0\.1:1\/test \(ECONNREFUSED\).*DATABASE_URL/);
  });

  describeFor(storeMatrix()[1], 'with PostgreSQL', () => {
    let db: Database;
    before(async () => {
      db = await openDatabase({ databaseUrl: TEST_DATABASE_URL });
    });
    after(() => db?.close());

    it('refused credentials name DATABASE_URL, never the password', async () => {
      const url = new URL(TEST_DATABASE_URL!);
      url.username = 'no_such_gatehouse_role';
      url.password = 'secret-password-123';
      const result = await failedStart({ DATABASE_URL: url.href, DATA_DIR: tempDir() });
      assertOneLine(result, /refused the credentials.*DATABASE_URL/);
      assert.ok(!result.lines[0].includes('secret-password-123'));
    });

    it('a KEK that cannot open the stored keys says to set KEK to the first one', async () => {
      const { url, schema } = await databaseUrlWithOwnSchema(TEST_DATABASE_URL!, db.knex);
      try {
        // The database was first started with another KEK: its keys are sealed under it.
        const first = await openDatabase({ databaseUrl: url });
        await migrate(first.knex);
        await loadSigningKeys(createSigningKeyStore(first.knex, createSecretBox(randomBytes(32))));
        await first.close();
        // A container without its volume: DATABASE_URL set, a fresh DATA_DIR with a new generated KEK.
        const result = await failedStart({ DATABASE_URL: url, DATA_DIR: tempDir() });
        assertOneLine(result, /cannot be opened with this KEK; set KEK to the key this database was first started with/);
      } finally {
        await db.knex.raw('drop schema if exists ?? cascade', [schema]);
      }
    });
  });
});

describe('npm start and SIGTERM (what a container runtime sends)', function () {
  this.timeout(120_000);
  let server: ChildServer | undefined;
  after(() => server?.stop());

  it('reaches the server through npm: the request in flight completes, then npm exits 0', async () => {
    server = startChild('npm', { PORT: '0', DATA_DIR: tempDir(), LOG_LEVEL: 'info' });
    const port = listeningPort(await server.waitForLine(isListening, 60_000));
    const request = await requestInFlight(port);

    server.child.kill('SIGTERM'); // npm's own pid, as `docker stop` would
    await server.waitForLine((l) => l.includes('"msg":"draining"'));
    assert.equal(server.child.exitCode, null, 'still running while a request is in flight');
    const status = await request.finish();
    assert.equal(status, 400, 'the request got its answer (no client credentials: invalid_request)');
    assert.equal(await server.exited(), 0);
    assert.ok(server.lines.some((l) => l.includes('"msg":"stopped"')));
  });
});

describe('every core', function () {
  this.timeout(180_000);
describeFor(storeMatrix()[1], 'cluster workers', () => {
  let db: Database;
  const schemas: string[] = [];
  let server: ChildServer | undefined;
  const ownSchema = async () => {
    const own = await databaseUrlWithOwnSchema(TEST_DATABASE_URL!, db.knex);
    schemas.push(own.schema);
    return own;
  };

  before(async () => {
    db = await openDatabase({ databaseUrl: TEST_DATABASE_URL });
  });
  after(async () => {
    await server?.stop();
    for (const schema of schemas) await db.knex.raw('drop schema if exists ?? cascade', [schema]);
    await db?.close();
  });

  it('runs WEB_CONCURRENCY workers on one port, replaces a dead one, and drains them all on SIGTERM', async () => {
    const own = await ownSchema();
    // Two workers racing on first start: the primary generates KEK, cookie keys and signing keys once.
    server = startChild('npm', { PORT: '0', DATA_DIR: tempDir(), DATABASE_URL: own.url, REDIS_URL: TEST_REDIS_URL!, WEB_CONCURRENCY: '2', LOG_LEVEL: 'info', METRICS_PORT: '0' });
    await server.waitForLine((l) => l.includes('"msg":"Gatehouse running 2 workers"'), 90_000);
    const metricsPort = Number(jsonLines(server.lines).find((l) => l.msg === 'metrics listening')?.port);
    const waitForWorkers = async (n: number) => {
      while (jsonLines(server!.lines).filter((l) => String(l.msg).startsWith('Gatehouse listening')).length < n) {
        await server!.waitForLine(() => jsonLines(server!.lines).filter((l) => String(l.msg).startsWith('Gatehouse listening')).length >= n, 90_000);
      }
      return jsonLines(server!.lines).filter((l) => String(l.msg).startsWith('Gatehouse listening'));
    };
    const workers = await waitForWorkers(2);
    const port = Number(workers[0].port);
    assert.equal(workers[1].port, port, 'both workers share one port');
    assert.notEqual(workers[0].pid, workers[1].pid);
    assert.equal(new Set(jsonLines(server.lines).filter((l) => l.kids === undefined && String(l.msg).startsWith('Gatehouse')).map((l) => l.pid)).size, 3, 'a primary and two workers');
    const jwks = (await (await fetch(`http://127.0.0.1:${port}/jwks`)).json()) as { keys: unknown[] };
    assert.equal(jwks.keys.length, 2, 'one RS256 and one ES256 key: generated once, not once per worker');
    assert.equal((await db.knex.withSchema(own.schema).table('signing_keys').count({ n: '*' }))[0].n, '2');

    // Ten requests on ten connections: the primary spreads them over both workers, and the one
    // metrics endpoint (served by the primary) counts all ten, not one worker's share.
    for (let i = 0; i < 10; i++) {
      await new Promise<void>((resolve, reject) => http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => res.resume().on('end', resolve)).on('error', reject));
    }
    const servedBy = new Set(jsonLines(server.lines).filter((l) => l.msg === 'request' && l.route === '/healthz').map((l) => l.pid));
    assert.equal(servedBy.size, 2, 'both workers served requests');
    const scraped = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.match(scraped, /gatehouse_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} 10\b/);

    process.kill(workers[0].pid, 'SIGKILL');
    await server.waitForLine((l) => l.includes('worker exited; starting a replacement') && l.includes(`"worker":${workers[0].pid}`));
    const replaced = await waitForWorkers(3);
    const replacement = replaced[2];
    assert.ok(![workers[0].pid, workers[1].pid].includes(replacement.pid), 'a new worker process');
    assert.equal(replacement.port, port);
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);

    const request = await requestInFlight(port);
    server.child.kill('SIGTERM');
    await server.waitForLine((l) => l.includes('"msg":"draining workers"'));
    const status = await request.finish();
    assert.equal(status, 400, 'the request in flight got its answer');
    assert.equal(await server.exited(), 0);
    const stopped = jsonLines(server.lines).filter((l) => l.msg === 'stopped').map((l) => l.pid).sort();
    assert.deepEqual(stopped, [workers[1].pid, replacement.pid].sort(), 'both live workers drained and stopped');
  });

  it('a busy port stops the primary with one line and exit status 1', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    try {
      const { port } = blocker.address() as net.AddressInfo;
      const result = await failedStart({ PORT: String(port), DATA_DIR: tempDir(), DATABASE_URL: (await ownSchema()).url, REDIS_URL: TEST_REDIS_URL!, WEB_CONCURRENCY: '2' });
      assertOneLine(result, new RegExp(`port ${port} is already in use.*\\bPORT\\b`));
    } finally {
      blocker.close();
    }
  });
});
});
