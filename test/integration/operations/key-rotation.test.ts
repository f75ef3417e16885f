// Signing keys change under running servers: `gatehouse keys rotate` (the real CLI) reaches a
// running server through Redis at once; a server that missed the message finds the keys on its
// periodic check; and keys rotate by themselves after SIGNING_KEY_ROTATION_DAYS, once, however
// many processes check. Two Gatehouse instances share one PostgreSQL schema and Redis, as two
// processes of one deployment do. Periods are shortened through the test options, not slept.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rotateSigningKeys } from '../../../server/signing-keys.ts';
import { startGatehouse, type TestServer } from '../../helpers/gatehouse-server.ts';
import { cleanEnv, ROOT } from '../../helpers/child-server.ts';
import { authorizationRequest, redeemCode } from '../../helpers/authorization.ts';
import { signIn } from '../../helpers/browserless-user.ts';
import { describeFor, storeMatrix, TEST_DATABASE_URL, TEST_REDIS_URL } from '../../helpers/stores.ts';

const remote = storeMatrix()[1];
const HOUR = 3_600_000;

async function publishedKids(server: TestServer): Promise<string[]> {
  const jwks = (await (await fetch(`${server.url}/jwks`)).json()) as { keys: { kid: string }[] };
  return jwks.keys.map((k) => k.kid);
}

/** Polls the JWKS until `predicate` holds; fails after `timeoutMs` (a bound, not a measurement). */
async function jwksUntil(server: TestServer, predicate: (kids: string[]) => boolean, timeoutMs = 20_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const kids = await publishedKids(server);
    if (predicate(kids)) return kids;
    if (Date.now() > deadline) throw new Error(`JWKS still ${JSON.stringify(kids)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const activeKids = async (server: TestServer) =>
  (await server.gatehouse.db.knex('signing_keys').whereNull('retired_at').orderBy('kid').pluck('kid')) as string[];

describeFor(remote, 'signing keys reach running processes', () => {
  const kek = randomBytes(32).toString('base64');
  const servers: TestServer[] = [];
  after(async () => {
    for (const server of servers.reverse()) await server.close();
  });

  async function pair(options: { intervalMs: number; rotationDays?: number }) {
    const env = { KEK: kek, ...(options.rotationDays ? { SIGNING_KEY_ROTATION_DAYS: String(options.rotationDays) } : {}) };
    const first = await startGatehouse(remote, env, { keyCheckIntervalMs: options.intervalMs });
    servers.push(first);
    const second = await startGatehouse(remote, env, { keyCheckIntervalMs: options.intervalMs, shareStoresWith: first });
    servers.push(second);
    return [first, second];
  }

  it('`gatehouse keys rotate` reaches another running process through Redis, old keys still published', async function () {
    this.timeout(90_000);
    // An hour between checks: only the announcement can deliver the keys within this test.
    const [first, second] = await pair({ intervalMs: HOUR });
    const before = await publishedKids(second);
    assert.deepEqual(await publishedKids(first), before);

    const url = new URL(TEST_DATABASE_URL!);
    url.searchParams.set('options', `-c search_path=${first.schema}`);
    const output = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['server/cli.ts', 'keys', 'rotate'], { cwd: ROOT, env: cleanEnv({ DATABASE_URL: url.href, REDIS_URL: TEST_REDIS_URL!, KEK: kek }), timeout: 60_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    const result = JSON.parse(output) as { added: { kid: string }[]; announced: boolean };
    assert.equal(result.announced, true);
    const added = result.added.map((k) => k.kid).sort();

    for (const server of [second, first]) {
      const kids = await jwksUntil(server, (k) => added.every((kid) => k.includes(kid)));
      assert.deepEqual(kids.slice(0, 2).sort(), added, 'the new keys come first: they sign');
      assert.deepEqual(kids.slice(2).sort(), [...before].sort(), 'the previous keys stay published for tokens they signed');
    }

    // And the other process signs with them: an ID token it issues now names a new key.
    const user = await second.createUser();
    const client = await second.createClient();
    const { url: authorize, verifier } = authorizationRequest(second.url, client);
    const { step } = await signIn(authorize, user);
    const { body } = await redeemCode(second.url, client, step.location!, verifier);
    const header = JSON.parse(Buffer.from(String(body.id_token).split('.')[0], 'base64url').toString('utf8'));
    assert.ok(added.includes(header.kid), `ID token signed with ${header.kid}, one of the new keys`);
  });

  it('a process that missed the announcement finds new keys on its periodic check', async function () {
    this.timeout(60_000);
    const [first, second] = await pair({ intervalMs: 200 });
    // Rotated in the database only, as if the Redis message was lost.
    const added = (await rotateSigningKeys(first.gatehouse.keyStore)).map((k) => k.kid);
    await jwksUntil(second, (kids) => added.every((kid) => kids.includes(kid)));
  });

  it('rotates on schedule once the keys are SIGNING_KEY_ROTATION_DAYS old, exactly once for two processes', async function () {
    this.timeout(60_000);
    const [first, second] = await pair({ intervalMs: HOUR, rotationDays: 1 });
    const original = await activeKids(first);
    await first.gatehouse.db.knex('signing_keys').update({ created_at: first.gatehouse.db.knex.raw("now() - interval '2 days'") });

    // Both processes run their periodic check at the same moment.
    await Promise.all([first.gatehouse.signingKeys.check(), second.gatehouse.signingKeys.check()]);
    const active = await activeKids(first);
    assert.equal(active.length, 2, 'one new RS256 + ES256 pair, not one per process');
    assert.ok(active.every((kid) => !original.includes(kid)));
    assert.equal(Number((await first.gatehouse.db.knex('signing_keys').count({ n: '*' }))[0].n), 4, 'the old pair is retired, not deleted');
    for (const server of [first, second]) {
      const kids = await jwksUntil(server, (k) => active.every((kid) => k.includes(kid)));
      assert.deepEqual(kids.slice(0, 2).sort(), [...active].sort());
      assert.ok(original.every((kid) => kids.includes(kid)), 'the previous keys stay published');
    }
    assert.equal(await first.gatehouse.signingKeys.check(), false, 'young keys: nothing to do');
  });
});
