// Quick look at where a server's memory goes: one Gatehouse child takes the bench's work in small
// (client-credentials tokens, password + TOTP sign-ins, live sessions), and after each phase its RSS
// is split into anonymous memory, file pages (the node binary and libraries) and V8's heap (after a
// full GC). BENCH_CC (default 30000) over BENCH_CC_CONNECTIONS (16), BENCH_LOGINS (300) BENCH_LOGIN_CONCURRENCY
// at a time (4), BENCH_SESSIONS (10000);
// BENCH_CHILD_FLAGS and the child's environment (e.g. GLIBC_TUNABLES, MALLOC_ARENA_MAX) pass through.
import fs from 'node:fs';
import { clientCredentialsRequest, tokenTask } from './load.ts';
import { passwordLogin, TotpUserPool, type LoginClient, type LoginUser } from './login.ts';
import { startQuickChild } from './quick-child.ts';
import { START_NODE_FLAGS } from './start-command.ts';

const CC = Number(process.env.BENCH_CC ?? 30_000);
const LOGINS = Number(process.env.BENCH_LOGINS ?? 300);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 10_000);
const MiB = (kib: number) => `${(kib / 1024).toFixed(0)}`;

const server = await startQuickChild('./server-process.ts', {}, ['--expose-gc', ...START_NODE_FLAGS].join(' '));
type Memory = NodeJS.MemoryUsage & { spaces: Record<string, number>; physical: Record<string, number>; heap: Record<string, number> };
async function report(phase: string) {
  const v8 = await server.call<Memory>('memory');
  const smaps = fs.readFileSync(`/proc/${server.pid}/smaps_rollup`, 'utf8');
  const field = (name: string) => Number(smaps.match(new RegExp(`^${name}:\\s+(\\d+)`, 'm'))?.[1] ?? 0);
  console.log(
    `${phase.padEnd(22)} RSS ${MiB(field('Rss'))} MiB = anon ${MiB(field('Anonymous'))} + file ${MiB(field('Rss') - field('Anonymous'))}` +
      ` (huge pages ${MiB(field('AnonHugePages'))}); V8 heap ${MiB(v8.heapTotal / 1024)} committed, ${MiB(v8.heapUsed / 1024)} live, external ${MiB(v8.external / 1024)}`,
  );
  if (process.env.BENCH_MAPS) console.log('  V8:', JSON.stringify({ physical: v8.heap.total_physical_size >> 20, malloced: v8.heap.malloced_memory >> 20, peakMalloced: v8.heap.peak_malloced_memory >> 20, spaces: Object.fromEntries(Object.entries(v8.physical).map(([k, v]) => [k, v >> 20])) }));
  if (process.env.BENCH_MAPS) console.log('  largest mappings (resident KiB, size KiB, name):', largestMappings(server.pid).join('; '));
}

/** The resident size of each mapping, largest first: tells malloc's heaps from V8's pages and libraries. */
function largestMappings(pid: number): string[] {
  const rows: [number, number, string][] = [];
  let current: [number, number, string] | undefined;
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = line.match(/^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/);
    if (head) rows.push((current = [0, (parseInt(head[2], 16) - parseInt(head[1], 16)) / 1024, head[3] || 'anon']));
    else if (current && line.startsWith('Rss:')) current[0] = Number(line.split(/\s+/)[1]);
  }
  const bySize = new Map<string, [count: number, rss: number]>();
  for (const [rss, size, name] of rows) {
    const key = `${name === 'anon' ? '' : name.split('/').pop() + ' '}${size} KiB`;
    const e = bySize.get(key) ?? [0, 0];
    bySize.set(key, [e[0] + 1, e[1] + rss]);
  }
  return [...bySize].sort((a, b) => b[1][1] - a[1][1]).slice(0, 12).map(([key, [n, rss]]) => `${n} × ${key}: ${(rss / 1024).toFixed(1)} MiB`);
}

await report('started');
const client = await server.call<{ client_id: string; client_secret: string }>('createClient', { metadata: { grant_types: ['client_credentials'], redirect_uris: [], response_types: [] } });
const rp = await server.call<LoginClient>('createClient', { metadata: { redirect_uris: ['http://127.0.0.1:9/callback'], grant_types: ['authorization_code'], response_types: ['code'], scope: 'openid profile email', first_party: true } });
const pool = new TotpUserPool(await server.call<LoginUser[]>('createUsers', { count: Math.max(100, Math.min(LOGINS + 40, 1000)), password: 'Correct-Horse-9', kind: 'totp' }));
await report('after setup');

const CC_CONNECTIONS = Number(process.env.BENCH_CC_CONNECTIONS ?? 16);
const { task, close } = tokenTask([server.url], CC_CONNECTIONS, clientCredentialsRequest(client.client_id, client.client_secret));
let left = CC;
await Promise.all(Array.from({ length: CC_CONNECTIONS }, async (_, w) => { while (left-- > 0) if ((await task(w)) !== true) throw new Error('token failed'); }));
close();
await report(`after ${CC} tokens`);

let logins = LOGINS;
await Promise.all(Array.from({ length: Number(process.env.BENCH_LOGIN_CONCURRENCY ?? 4) }, async () => {
  while (logins-- > 0) {
    const { user, nowMs } = await pool.take();
    const outcome = await passwordLogin(server.url, rp, user, { nowMs });
    if (outcome !== true) throw new Error(outcome);
  }
}));
await report(`after ${LOGINS} sign-ins`);

await server.call('seedSessions', { count: SESSIONS, accountId: pool.users[0].id });
await report(`with ${SESSIONS} sessions`);
// Idle: V8's memory reducer may give pooled and free pages back once allocation stops.
const IDLE = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
await new Promise((resolve) => setTimeout(resolve, IDLE * 1000));
await report(`${IDLE} s idle later`);
server.proc.kill();
process.exit(0);
