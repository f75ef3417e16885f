// What a request allocates dies young: after a token request nothing of it should reach V8's old
// space, where it would stay until the next major GC and grow the heap (RSS) between them. Two
// dependencies defined a getter on every new object, which kept each request's whole context alive
// past its scavenges (~12 KB promoted per token); patches/ removes both (patches/README.md).
// Measured as what the old space gains across scavenges (v8.GCProfiler), a count of bytes, not time.
// In this process the load generator's own garbage counts too. On PostgreSQL + Redis only: the embedded
// store still promotes ~4.5 KB per token through its own SQL path (BENCHMARKS.md), left as it is.
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { startGatehouse, type TestServer } from '../../helpers/gatehouse-server.ts';
import { describeFor, storeMatrix } from '../../helpers/stores.ts';
import { clientCredentialsRequest, keepAliveAgent, send } from '../../../bench/load.ts';

/** Measured here: ~2 KB with the patches (the server alone: < 100 bytes), ~12 KB without them. */
const MAX_PROMOTED_BYTES_PER_TOKEN = 5 * 1024;
const TOKENS = 4000;

type SpaceStats = { spaceName: string; spaceUsedSize: number };
type GcEntry = { gcType: string; beforeGC: { heapSpaceStatistics: SpaceStats[] }; afterGC: { heapSpaceStatistics: SpaceStats[] } };

const oldSpaceUsed = (spaces: SpaceStats[]) => spaces.find((s) => s.spaceName === 'old_space')?.spaceUsedSize ?? 0;

for (const store of storeMatrix().filter((s) => s.name === 'PostgreSQL + Redis')) {
  describeFor(store, 'operations: a token request leaves no garbage in the old space', function () {
    let server: TestServer;
    let tokenRequest: () => Promise<number>;
    const agent = keepAliveAgent(1);

    before(async function () {
      this.timeout(60_000);
      server = await startGatehouse(store);
      const client = await server.createClient({ grant_types: ['client_credentials'], redirect_uris: [], response_types: [] });
      // node:http as the bench sends it: fetch would add its own garbage to this process's count.
      const request = clientCredentialsRequest(client.client_id, client.client_secret!);
      tokenRequest = async () => (await send(agent, new URL(server.url), request)).status;
    });
    after(async () => {
      agent.destroy();
      await server?.close();
    });

    it(`promotes under ${MAX_PROMOTED_BYTES_PER_TOKEN} bytes per client-credentials token`, async function () {
      this.timeout(120_000);
      // Warm up first: the first requests compile code and fill caches that are meant to live.
      for (let i = 0; i < 300; i++) assert.equal(await tokenRequest(), 200);
      const profiler = new v8.GCProfiler();
      profiler.start();
      for (let i = 0; i < TOKENS; i++) assert.equal(await tokenRequest(), 200);
      const { statistics } = profiler.stop() as unknown as { statistics: GcEntry[] };
      const scavenges = statistics.filter((g) => g.gcType === 'Scavenge');
      assert.ok(scavenges.length >= 3, `${TOKENS} tokens should take several scavenges (took ${scavenges.length})`);
      const promoted = scavenges.reduce((sum, g) => sum + Math.max(0, oldSpaceUsed(g.afterGC.heapSpaceStatistics) - oldSpaceUsed(g.beforeGC.heapSpaceStatistics)), 0);
      const perToken = promoted / TOKENS;
      assert.ok(perToken < MAX_PROMOTED_BYTES_PER_TOKEN, `${perToken.toFixed(0)} bytes promoted per token over ${scavenges.length} scavenges`);
    });
  });
}
