// Child process: oidc-provider with nothing of Gatehouse (default MemoryAdapter, one static
// client-credentials client) on node:http, the baseline for the token endpoint. BARE_STOCK=1 runs
// oidc-provider as published, without patches/ (bench/stock-provider.ts); BARE_REDIS_URL keeps its
// state in that Redis through the smallest adapter (bench/bare-redis-adapter.ts) instead of in memory.
// Prints its URL on stdout (and sends { type: 'ready', url } over IPC when forked).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type ProviderType from 'oidc-provider';
import { stockProviderEntry } from './stock-provider.ts';
import { profilerCommands } from './profiler.ts';
import { mintRefreshTokens } from './mint-refresh-tokens.ts';
import { bareRedisAdapter } from './bare-redis-adapter.ts';

const Provider: typeof ProviderType = (await import(process.env.BARE_STOCK === '1' ? stockProviderEntry() : 'oidc-provider')).default;
const clientId = process.env.BARE_CLIENT_ID ?? 'bench-cc';
const clientSecret = process.env.BARE_CLIENT_SECRET ?? 'bench-cc-secret-0123456789abcdef0123456789';

const server = http.createServer();
await new Promise<void>((resolve) => server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const redisState = process.env.BARE_REDIS_URL ? bareRedisAdapter(process.env.BARE_REDIS_URL) : undefined;
const provider = new Provider(url, {
  ...(redisState ? { adapter: redisState.Adapter } : {}),
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials', 'authorization_code', 'refresh_token'],
      redirect_uris: ['http://127.0.0.1:9/callback'],
      response_types: ['code'],
    },
  ],
  scopes: ['openid', 'offline_access'],
  features: {
    clientCredentials: { enabled: true },
    // As Gatehouse: a client introspects its own tokens.
    introspection: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
  },
  // As Gatehouse: every refresh rotates the refresh token.
  rotateRefreshToken: () => true,
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
});
server.on('request', provider.callback());

// The orchestrator may switch profiling on and off and mint refresh tokens: { id, cmd } → { id, ok, result | error }.
const commands: Record<string, (args: Record<string, unknown>) => Promise<unknown>> = {
  ...profilerCommands,
  mintRefreshTokens: async ({ count }) => mintRefreshTokens(provider, { clientId, accountId: 'bench-user', count: Number(count) }),
};
process.on('message', async (message: { id: number; cmd: string } & Record<string, unknown>) => {
  try {
    process.send?.({ id: message.id, ok: true, result: await commands[message.cmd](message) });
  } catch (err) {
    process.send?.({ id: message.id, ok: false, error: String(err) });
  }
});

console.log(url);
process.send?.({ type: 'ready', url, pid: process.pid });

function stop() {
  server.closeAllConnections();
  server.close(async () => {
    await redisState?.drop();
    process.exit(0);
  });
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop); // the orchestrator went away
