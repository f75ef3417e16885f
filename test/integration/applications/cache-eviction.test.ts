// Two Gatehouse processes on one PostgreSQL schema and one Redis: an application changed through one
// is seen changed by the other without waiting for its client cache to expire (CLIENT_CACHE_TTL_SECONDS),
// because every write announces the client id on Redis and every process evicts it. Each field the
// protocol reads is changed once; the other process must reflect it.
import assert from 'node:assert/strict';
import { loadConfig } from '../../../server/config.ts';
import { createGatehouse, type Gatehouse } from '../../../server/app.ts';
import { openDatabase, type Database } from '../../../adapters/database.ts';
import { createLogger } from '../../../server/logger.ts';
import { CLIENT_CACHE_TTL_SECONDS } from '../../../accounts/security-constants.ts';
import { uniqueName } from '../../helpers/gatehouse-server.ts';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../../helpers/stores.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const skip = !TEST_DATABASE_URL || !TEST_REDIS_URL;

(skip ? describe.skip : describe)(`applications: changes reach every process through Redis${skip ? ' (skipped: DATABASE_URL or REDIS_URL not set)' : ''}`, function () {
  this.timeout(60_000);
  const schema = uniqueName('gh_evict_');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-evict-'));
  let dbA: Database;
  let dbB: Database;
  let a: Gatehouse;
  let b: Gatehouse;

  before(async () => {
    const config = loadConfig({ ISSUER: 'http://127.0.0.1:1', DATA_DIR: dataDir, LOG_LEVEL: 'silent', REDIS_URL: TEST_REDIS_URL, DATABASE_URL: TEST_DATABASE_URL });
    dbA = await openDatabase({ databaseUrl: TEST_DATABASE_URL, schema });
    dbB = await openDatabase({ databaseUrl: TEST_DATABASE_URL, schema });
    a = await createGatehouse(config, { database: dbA, logger: createLogger('silent'), redisPrefix: `${schema}:` });
    b = await createGatehouse(config, { database: dbB, logger: createLogger('silent'), redisPrefix: `${schema}:` });
  });
  after(async () => {
    await dbA?.knex.raw('drop schema if exists ?? cascade', [schema]);
    await a?.close();
    await b?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** Waits until process B's provider sees `check` hold (the Redis message is asynchronous). */
  async function seenByB(clientId: string, check: (client: Record<string, any> | undefined) => boolean) {
    for (let i = 0; i < 200; i++) {
      const client = (await b.provider.Client.find(clientId)) as unknown as Record<string, any> | undefined;
      if (check(client)) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.fail(`process B still has the old registration of ${clientId} (cache TTL is ${CLIENT_CACHE_TTL_SECONDS} s)`);
  }

  it('every field changed in process A is in effect in process B long before B’s cache would expire', async () => {
    const operator = { operator: true as const };
    const { app } = await a.applications.create(operator, { kind: 'web', clientId: uniqueName('evict'), name: 'Before', redirectUris: ['https://before.example.com/cb'] });
    // B loads (and caches) the registration.
    assert.equal(((await b.provider.Client.find(app.clientId)) as unknown as { clientName: string }).clientName, 'Before');

    const changes: [Record<string, unknown>, (c: Record<string, any> | undefined) => boolean][] = [
      [{ name: 'After' }, (c) => c?.clientName === 'After'],
      [{ redirectUris: ['https://after.example.com/cb'] }, (c) => c?.redirectUris[0] === 'https://after.example.com/cb'],
      [{ postLogoutRedirectUris: ['https://after.example.com/bye'] }, (c) => c?.postLogoutRedirectUris?.[0] === 'https://after.example.com/bye'],
      [{ webOrigins: ['https://after.example.com'] }, (c) => c?.web_origins?.[0] === 'https://after.example.com'],
      [{ backchannelLogoutUri: 'https://after.example.com/bc', backchannelLogoutSessionRequired: true }, (c) => c?.backchannelLogoutUri === 'https://after.example.com/bc' && c?.backchannelLogoutSessionRequired === true],
      [{ logoUri: 'https://after.example.com/logo.png' }, (c) => c?.logoUri === 'https://after.example.com/logo.png'],
      [{ scopes: ['openid', 'email'] }, (c) => c?.scope === 'openid email'],
      [{ firstParty: true }, (c) => c?.first_party === true],
      [{ tokenEndpointAuthMethod: 'client_secret_post' }, (c) => c?.tokenEndpointAuthMethod === 'client_secret_post'],
      [{ disabled: true }, (c) => c === undefined],
      [{ disabled: false }, (c) => c?.clientName === 'After'],
    ];
    for (const [patch, check] of changes) {
      await a.applications.update(operator, app.clientId, patch);
      await seenByB(app.clientId, check);
    }
    const before = ((await b.provider.Client.find(app.clientId)) as unknown as { clientSecret: string }).clientSecret;
    await a.applications.rotateSecret(operator, app.clientId);
    await seenByB(app.clientId, (c) => c?.clientSecret !== before);
    await a.applications.remove(operator, app.clientId);
    await seenByB(app.clientId, (c) => c === undefined);
  });
});
