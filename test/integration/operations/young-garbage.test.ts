// What a request allocates dies young: after a token request nothing of it should reach V8's old
// space, where it would stay until the next major GC and grow the heap (RSS) between them. Two
// dependencies defined a getter on every new object, which kept each request's whole context alive
// past its scavenges (~12 KB promoted per token), and ioredis stored two closures on every command, which
// V8 also keeps alive through scavenges (~1.9 KB per token); patches/ removes them (patches/README.md).
// Measured in the server's own process (the bench's server child, forked fresh): what its old space
// gains across scavenges (v8.GCProfiler), a count of bytes, not time. Measured in the test process
// instead, the count depended on what earlier suites had run there (two servers of another suite
// made it read 15 KB per token for the same server code). On PostgreSQL + Redis only: the embedded
// store still promotes ~4.5 KB per token through its own SQL path (BENCHMARKS.md), left as it is.
import assert from 'node:assert/strict';
import { describeFor, storeMatrix } from '../../helpers/stores.ts';
import { clientCredentialsRequest, keepAliveAgent, send } from '../../../bench/load.ts';
import { startQuickChild, type QuickChild } from '../../../bench/quick-child.ts';

/** Measured here: ~50 bytes with the patches; ~1.9 KB without ioredis's resolve/reject one, ~12 KB without the getter ones. */
const MAX_PROMOTED_BYTES_PER_TOKEN = 1024;
const TOKENS = 4000;

for (const store of storeMatrix().filter((s) => s.name === 'PostgreSQL + Redis')) {
  describeFor(store, 'operations: a token request leaves no garbage in the old space', function () {
    let server: QuickChild;
    let tokenRequest: () => Promise<number>;
    const agent = keepAliveAgent(1);

    before(async function () {
      this.timeout(120_000);
      server = await startQuickChild('./server-process.ts', { DATABASE_URL: store.databaseUrl!, REDIS_URL: store.redisUrl! });
      const client = await server.call<{ client_id: string; client_secret: string }>('createClient', { metadata: { grant_types: ['client_credentials'], redirect_uris: [], response_types: [] } });
      const request = clientCredentialsRequest(client.client_id, client.client_secret);
      tokenRequest = async () => (await send(agent, new URL(server.url), request)).status;
    });
    after(async () => {
      agent.destroy();
      if (server) await new Promise((resolve) => (server.proc.once('exit', resolve), server.proc.kill()));
    });

    it(`promotes under ${MAX_PROMOTED_BYTES_PER_TOKEN} bytes per client-credentials token`, async function () {
      this.timeout(120_000);
      // Warm up first: the first requests compile code and fill caches that are meant to live.
      for (let i = 0; i < 300; i++) assert.equal(await tokenRequest(), 200);
      await server.call('promotionStart');
      for (let i = 0; i < TOKENS; i++) assert.equal(await tokenRequest(), 200);
      const { promoted, scavenges } = await server.call<{ promoted: number; scavenges: number }>('promotionStop');
      assert.ok(scavenges >= 3, `${TOKENS} tokens should take several scavenges (took ${scavenges})`);
      const perToken = promoted / TOKENS;
      assert.ok(perToken < MAX_PROMOTED_BYTES_PER_TOKEN, `${perToken.toFixed(0)} bytes promoted per token over ${scavenges} scavenges`);
    });
  });
}
