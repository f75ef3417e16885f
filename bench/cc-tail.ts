// Quick look at the client-credentials tail: an open loop at BENCH_RATE tokens/s (default 4000) for
// BENCH_SECONDS (6) against one server, after a closed-loop warm-up of 5,000 tokens. Prints p50/p99 (and
// the p99 of what was scheduled after BENCH_SETTLE_SECONDS, 5, as #3b counts), the slowest requests by
// when they were scheduled, how many took > 20 ms per 250 ms window, and the generator's own timer gaps
// (a stall of the generator is not the server's). BENCH_BARE=1 runs it against bare oidc-provider
// instead; BENCH_CPU_PROF=<file> profiles the server over the open loop.
import { randomBytes } from 'node:crypto';
import { clientCredentialsRequest, GENERATOR_STALL_MS, tokenTask } from './load.ts';
import { startQuickChild } from './quick-child.ts';

const BARE = process.env.BENCH_BARE === '1';
const RATE = Number(process.env.BENCH_RATE ?? 4000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const PROF = process.env.BENCH_CPU_PROF;
/** BENCH_SETTLE_SECONDS (default 5, as run.ts's uncounted seconds before #3b): also a p99 of what came after. */
const SETTLE_MS = Number(process.env.BENCH_SETTLE_SECONDS ?? 5) * 1000;
const bareClient = { client_id: 'bench-cc', client_secret: randomBytes(24).toString('base64url') };

const server = await startQuickChild(BARE ? './bare-provider.ts' : './server-process.ts', { BARE_CLIENT_ID: bareClient.client_id, BARE_CLIENT_SECRET: bareClient.client_secret });
const client = BARE ? bareClient : await server.call<{ client_id: string; client_secret: string }>('createClient', { metadata: { grant_types: ['client_credentials'], redirect_uris: [], response_types: [] } });
const { task, close } = tokenTask([server.url], 256, clientCredentialsRequest(client.client_id, client.client_secret));

let warm = Number(process.env.BENCH_WARM ?? 5000);
await Promise.all(Array.from({ length: 16 }, async (_, w) => { while (warm-- > 0) await task(w); }));
if (PROF) await server.call('profileStart');
const start = performance.now();
const total = RATE * SECONDS;
const latencies: [scheduledAt: number, ms: number][] = [];
const inFlight: Promise<void>[] = [];
const gaps: [at: number, ms: number][] = [];
let sent = 0;
let lastTick = start;
await new Promise<void>((resolve) => {
  const tick = () => {
    const now = performance.now();
    if (now - lastTick > GENERATOR_STALL_MS) gaps.push([lastTick - start, now - lastTick]);
    lastTick = now;
    const due = Math.min(total, Math.floor(((now - start) / 1000) * RATE) + 1);
    for (; sent < due; sent++) {
      const scheduled = start + (sent / RATE) * 1000;
      inFlight.push(task(sent).then(() => void latencies.push([scheduled - start, performance.now() - scheduled])));
    }
    if (sent < total) setTimeout(tick, 1);
    else resolve();
  };
  tick();
});
await Promise.all(inFlight);
close();
if (PROF) await server.call('profileStop', { file: PROF });

const sorted = [...latencies].sort((a, b) => b[1] - a[1]);
const at = (p: number) => sorted[Math.floor(sorted.length * p)][1].toFixed(1);
// As bench/run.ts's #3b counts only after 5 s at its rate: p99 of what was scheduled after that.
const settled = sorted.filter(([t]) => t >= SETTLE_MS);
const settledP99 = settled.length ? `; after ${SETTLE_MS / 1000}s p99 ${settled[Math.floor(settled.length * 0.01)][1].toFixed(1)} ms` : '';
console.log(`${BARE ? 'bare' : 'Gatehouse'} at ${RATE}/s for ${SECONDS}s: p50 ${at(0.5)} ms, p99 ${at(0.01)} ms${settledP99}`);
console.log('slowest (scheduled at ms → took ms):', sorted.slice(0, 8).map(([t, l]) => `${t.toFixed(0)}→${l.toFixed(0)}`).join(' '));
const windows = new Map<number, number>();
for (const [t, l] of latencies) if (l > 20) windows.set(Math.floor(t / 250) * 250, (windows.get(Math.floor(t / 250) * 250) ?? 0) + 1);
console.log('requests over 20 ms per 250 ms window:', [...windows].sort((a, b) => a[0] - b[0]).map(([t, n]) => `${t}:${n}`).join(' ') || 'none');
console.log(`generator timer gaps over ${GENERATOR_STALL_MS} ms:`, gaps.map(([t, g]) => `${t.toFixed(0)}+${g.toFixed(0)}`).join(' ') || 'none');
server.proc.kill();
process.exit(0);
