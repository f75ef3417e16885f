// Child process: a real Gatehouse (PostgreSQL + Redis) on a listening port, started the way
// test/helpers/gatehouse-server.ts starts one, with a schema `gh_bench_<pid>` and Redis prefix
// `gh_bench_<pid>:` of its own. Prints its URL on stdout; on SIGTERM drops the schema and keys.
//
// Env: DATABASE_URL, REDIS_URL (required); PORT (default: any free port); KEK, COOKIE_KEYS
// (optional; give the same values to processes that share state); BENCH_SCHEMA: join that
// existing schema/prefix instead of creating one (a joiner leaves cleanup to the owner).
//
// When forked, it answers requests over IPC so the orchestrator can set up users and clients
// without timing them: { id, cmd, ...args } → { id, ok, result | error }.
import http from 'node:http';
import v8 from 'node:v8';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../server/config.ts';
import { createGatehouse } from '../server/app.ts';
import { openDatabase } from '../adapters/database.ts';
import { newTotpSecret } from '../accounts/totp.ts';
import { profilerCommands } from './profiler.ts';
import { mintRefreshTokens } from './mint-refresh-tokens.ts';
import { generateClientSecret } from '../adapters/client-store.ts';
import { createLogger } from '../server/logger.ts';
import { SESSION_IDLE_TTL } from '../accounts/security-constants.ts';
import { ACR_SINGLE_FACTOR } from '../accounts/mfa-policy.ts';

const { DATABASE_URL, REDIS_URL } = process.env;
/** BENCH_EMBEDDED=1: the embedded default (PGlite in its own data dir, provider state in SQL), as `npm start` runs with no URLs. */
const embedded = process.env.BENCH_EMBEDDED === '1';
if (!embedded && (!DATABASE_URL || !REDIS_URL)) {
  console.error('server-process: DATABASE_URL and REDIS_URL are required (or BENCH_EMBEDDED=1)');
  process.exit(2);
}
const joining = Boolean(process.env.BENCH_SCHEMA);
const schema = process.env.BENCH_SCHEMA ?? `gh_bench_${process.pid}`;
const prefix = `${schema}:`;

const server = http.createServer();
await new Promise<void>((resolve) => server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', resolve));
const port = (server.address() as AddressInfo).port;
const url = `http://127.0.0.1:${port}`;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-'));

const database = embedded ? await openDatabase({ dataDir }) : await openDatabase({ databaseUrl: DATABASE_URL, schema });
const config = loadConfig({
  ISSUER: url,
  PORT: String(port),
  DATA_DIR: dataDir,
  LOG_LEVEL: 'silent',
  ...(embedded ? {} : { DATABASE_URL, REDIS_URL }),
  KEK: process.env.KEK,
  COOKIE_KEYS: process.env.COOKIE_KEYS,
});
const gatehouse = await createGatehouse(config, { database, logger: createLogger('silent'), redisPrefix: embedded ? undefined : prefix });
// BENCH_NO_ADMISSION=1 serves the app without the JSON endpoints' admission gate (server/api-admission.ts), to measure the gate.
server.on('request', process.env.BENCH_NO_ADMISSION === '1' ? gatehouse.app.callback() : gatehouse.listener);
// Statements sent to PostgreSQL, so the orchestrator can report queries per token / per login.
let sqlQueries = 0;
const statements = new Map<string, number>();
database.knex.on('query', (query: { sql: string }) => {
  sqlQueries++;
  statements.set(query.sql, (statements.get(query.sql) ?? 0) + 1);
});

let userBatches = 0;
const commands: Record<string, (args: Record<string, unknown>) => Promise<unknown>> = {
  /**
   * Accounts through the account store, as sign-up creates them; the password is hashed once
   * and the hash reused, so that setting up many users stays quick. kind 'service': an
   * MFA-exempt service account (signs in with the password alone; the flag is set in SQL, as an
   * administrator would). kind 'totp': a person with an authenticator app registered, as the
   * test helper registers one. Both have a verified email address. Returns the TOTP seeds.
   */
  async createUsers({ count, password, kind }) {
    const batch = ++userBatches; // usernames stay unique over several calls
    const passwordHash = await gatehouse.hasher.hash(String(password));
    const create = async (i: number) => {
      const username = `bench${process.pid}${kind}${batch}x${i}`;
      const { account } = await gatehouse.accounts.createAccountWithOrganization({
        account: { username, email: `${username}@example.com`, serviceAccount: kind === 'service' },
        passwordHash,
        organizationName: 'Bench Corp',
      });
      // Returning users with a verified address (as the test helper makes them), so no
      // "Verify your email" prompt; service accounts also MFA-exempt.
      await database.knex('accounts').where({ id: account.id }).update({ email_verified: true, ...(kind === 'service' ? { mfa_exempt: true } : {}) });
      let totpSecret: string | undefined;
      if (kind !== 'service') {
        totpSecret = newTotpSecret();
        await gatehouse.mfa.addMethod(account.id, 'totp', 'Bench app', { secret: gatehouse.box.seal(totpSecret) });
      }
      return { id: account.id, username, password, totpSecret };
    };
    const users = [];
    for (let i = 0; i < Number(count); i += 10) {
      users.push(...(await Promise.all(Array.from({ length: Math.min(10, Number(count) - i) }, (_, j) => create(i + j)))));
    }
    return users;
  },
  async mintRefreshTokens({ clientId, accountId, count }) {
    return mintRefreshTokens(gatehouse.provider, { clientId: String(clientId), accountId: String(accountId), count: Number(count) });
  },
  /**
   * Makes every account of `accountIds` a member of the first one's organization (as accepted
   * invitations leave them), for the one-big-organization figure; their own organizations go.
   */
  async joinOneOrganization({ accountIds }) {
    const [ownerId, ...members] = accountIds as string[];
    const owner = await database.knex('memberships').where({ account_id: ownerId, role: 'owner' }).first('organization_id');
    for (let i = 0; i < members.length; i += 500) {
      const batch = members.slice(i, i + 500);
      const own = await database.knex('memberships').whereIn('account_id', batch).distinct('organization_id');
      await database.knex('memberships').whereIn('account_id', batch).delete();
      await database.knex('organizations').whereIn('id', own.map((r) => r.organization_id)).delete();
      await database.knex('memberships').insert(batch.map((id) => ({ account_id: id, organization_id: owner.organization_id, role: 'member' })));
    }
    return { organizationId: owner.organization_id };
  },
  async createClient({ metadata }) {
    const full = { client_id: `bench-${process.pid}-${Date.now()}`, client_secret: generateClientSecret(), ...(metadata as object) };
    await gatehouse.clients.create(full);
    return full;
  },
  /**
   * Live sessions the way the provider stores one at the end of a login (Session model →
   * adapter → Redis), without running the login itself. Returns one id to spot-check.
   */
  async seedSessions({ count, accountId }) {
    // The typings give the constructor no payload and save() no ttl; the runtime takes both.
    const Session = gatehouse.provider.Session as unknown as new (payload: Record<string, unknown>) => {
      jti: string;
      save(ttl: number): Promise<unknown>;
    };
    const loginTs = Math.floor(Date.now() / 1000);
    let sample = '';
    for (let done = 0; done < Number(count); ) {
      // 64 saves in flight, like a busy server's concurrent sign-ins (not one burst of thousands).
      const batch = Math.min(64, Number(count) - done);
      await Promise.all(
        Array.from({ length: batch }, async () => {
          const session = new Session({ accountId: String(accountId), loginTs, amr: ['pwd'], acr: ACR_SINGLE_FACTOR });
          await session.save(SESSION_IDLE_TTL);
          sample = session.jti;
        }),
      );
      done += batch;
    }
    return { sampleSessionId: sample };
  },
  /** Memory after a full GC when the process runs with --expose-gc (so heapUsed is the live heap). */
  ...profilerCommands,
  /** `gatehouse audit verify` on this server's store (links pending events first). */
  async verifyAudit() {
    const result = await gatehouse.auditStore.verify();
    return { chains: result.chains, events: result.events, breaks: result.breaks };
  },
  /** SQL statements sent so far, in total and by statement text (for diagnosis). */
  async counters() {
    return { sqlQueries, statements: Object.fromEntries(statements) };
  },
  async memory() {
    (globalThis as { gc?: () => void }).gc?.();
    return { ...process.memoryUsage(), heap: v8.getHeapStatistics(), spaces: Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size])), physical: Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.physical_space_size])) };
  },
};

process.on('message', async (message: { id: number; cmd: string } & Record<string, unknown>) => {
  try {
    const command = commands[message.cmd];
    if (!command) throw new Error(`unknown command ${message.cmd}`);
    process.send?.({ id: message.id, ok: true, result: await command(message) });
  } catch (err) {
    process.send?.({ id: message.id, ok: false, error: (err as Error).stack ?? String(err) });
  }
});

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  try {
    if (!joining && gatehouse.redis) {
      let cursor = '0';
      do {
        const [next, keys] = await gatehouse.redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        if (keys.length) await gatehouse.redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
    if (!joining && !embedded) await database.knex.raw('drop schema if exists ?? cascade', [schema]);
  } finally {
    await gatehouse.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  }
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop); // the orchestrator went away: clean up anyway

console.log(url);
process.send?.({ type: 'ready', url, schema, prefix, pid: process.pid });
