// Starts a real Gatehouse on a free port: real HTTP, real stores (PGlite in memory, or
// PostgreSQL in a schema of its own + Redis with a key prefix of its own).
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../server/config.ts';
import { createGatehouse, type Gatehouse } from '../../server/app.ts';
import { openDatabase } from '../../adapters/database.ts';
import { deleteKeysWithPrefix } from '../../adapters/redis-connection.ts';
import { releaseRedisCluster, useRedisCluster } from './redis-cluster.ts';
import { createSignUp } from '../../accounts/sign-up.ts';
import { generateClientSecret } from '../../adapters/client-store.ts';
import { createLogger, type Logger } from '../../server/logger.ts';
import type { StoreKind } from './stores.ts';
import { newTotpSecret } from '../../accounts/totp.ts';
import type { PasswordHasher } from '../../accounts/password-hasher.ts';

export type TestUser = {
  id: string;
  username: string;
  password: string;
  organizationId: string;
  /** Base32 TOTP seed of the user's authenticator app (absent with `mfa: false`). */
  totpSecret?: string;
};

export type TestServer = {
  url: string;
  /** The server's DATA_DIR (the .eml outbox lives in its outbox/ folder). */
  dataDir: string;
  /** Its PostgreSQL schema (and Redis key prefix), when on PostgreSQL. */
  schema?: string;
  gatehouse: Gatehouse;
  /** A user with a root organization; with an authenticator app registered unless `mfa: false`. */
  createUser(input?: Partial<{ username: string; email: string; password: string; company: string; mfa: boolean; emailVerified: boolean }>): Promise<TestUser>;
  createClient(metadata?: Record<string, unknown>): Promise<{ client_id: string; client_secret?: string; redirect_uris: string[] }>;
  close(): Promise<void>;
};

let counter = 0;
export const uniqueName = (prefix: string) => `${prefix}${process.pid}_${++counter}_${randomBytes(2).toString('hex')}`;

export async function startGatehouse(
  store: StoreKind = { name: 'embedded PGlite' },
  env: Record<string, string> = {},
  options: {
    hasher?: PasswordHasher;
    clock?: () => number;
    /** A logger to read what the server logs (default: silent). */
    logger?: Logger;
    /** ISSUER's host; 'localhost' for WebAuthn, whose RP ID can't be an IP address. Still listens on 127.0.0.1. */
    issuerHost?: string;
    /** Lets the provider reach apps on 127.0.0.1 (back-channel logout), which it refuses in production. */
    allowLoopbackApps?: boolean;
    /** Another server's PostgreSQL schema and Redis prefix: two processes on one deployment's stores. */
    shareStoresWith?: TestServer;
    /** How often the server re-reads its signing keys (default 30 s). */
    keyCheckIntervalMs?: number;
  } = {},
): Promise<TestServer> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-test-'));
  const schema = options.shareStoresWith?.schema ?? (store.databaseUrl ? uniqueName('gh_test_') : undefined);
  const database = await openDatabase({ databaseUrl: store.databaseUrl, schema });
  const config = loadConfig({
    ISSUER: `http://${options.issuerHost ?? '127.0.0.1'}:${port}`,
    PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    REDIS_URL: store.redisUrl,
    REDIS_CLUSTER: store.redisCluster ? (await useRedisCluster()).seeds.join(',') : undefined,
    ...env,
  });
  const gatehouse = await createGatehouse(config, { database, logger: options.logger ?? createLogger('silent'), redisPrefix: schema ? `${schema}:` : undefined, hasher: options.hasher, clock: options.clock, keyCheckIntervalMs: options.keyCheckIntervalMs,
    providerFetch: options.allowLoopbackApps ? (url, init) => fetch(url, { ...init, dispatcher: undefined } as RequestInit) : undefined });
  server.on('request', gatehouse.listener);
  const url = `http://${options.issuerHost ?? '127.0.0.1'}:${port}`;
  const signUp = createSignUp({ accounts: gatehouse.accounts, hasher: gatehouse.hasher, audit: gatehouse.audit });

  return {
    url,
    dataDir,
    schema,
    gatehouse,
    async createUser(input = {}) {
      const username = input.username ?? uniqueName('user');
      const password = input.password ?? 'Correct-Horse-9';
      const { account, organization } = await signUp({
        username,
        email: input.email ?? `${username}@example.com`,
        password,
        company: input.company ?? 'Acme Corp',
      });
      // Most journeys start from a verified address; pass emailVerified:false to meet the "Verify your email" prompt.
      if (input.emailVerified !== false) await gatehouse.db.knex('accounts').where({ id: account.id }).update({ email_verified: true });
      let totpSecret: string | undefined;
      if (input.mfa !== false) {
        totpSecret = newTotpSecret();
        await gatehouse.mfa.addMethod(account.id, 'totp', 'Test app', { secret: gatehouse.box.seal(totpSecret) });
      }
      return { id: account.id, username, password, organizationId: organization.id, totpSecret };
    },
    async createClient(metadata = {}) {
      const clientId = (metadata.client_id as string | undefined) ?? uniqueName('client');
      const secret = metadata.token_endpoint_auth_method === 'none' ? undefined : generateClientSecret();
      const full = {
        client_id: clientId,
        ...(secret ? { client_secret: secret } : {}),
        redirect_uris: ['http://127.0.0.1:9/callback'],
        post_logout_redirect_uris: ['http://127.0.0.1:9/logged-out'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        scope: 'openid offline_access profile email phone org',
        first_party: true,
        ...metadata,
      };
      await gatehouse.clients.create(full);
      return full as { client_id: string; client_secret?: string; redirect_uris: string[] };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (gatehouse.redis?.status === 'ready' && schema) await deleteKeysWithPrefix(gatehouse.redis, `${schema}:`);
      if (schema) await database.knex.raw('drop schema if exists ?? cascade', [schema]);
      await gatehouse.close();
      if (store.redisCluster) await releaseRedisCluster();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
