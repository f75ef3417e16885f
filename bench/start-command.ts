// What `npm start` runs (package.json), so bench servers run as production does: its node flags and
// the environment defaults it sets with `NAME=${NAME:-value}` (malloc settings, see the Dockerfile).
import fs from 'node:fs';

const start = (JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } }).scripts.start;

/** npm start's node flags (BENCH_NODE_FLAGS overrides them for a variant). */
export const START_NODE_FLAGS: string[] = (process.env.BENCH_NODE_FLAGS ?? start.split(' ').filter((t) => t.startsWith('--')).join(' ')).split(' ').filter(Boolean);

/** npm start's environment defaults; the caller's environment still wins, as with npm start. */
export const START_ENV: Record<string, string> = Object.fromEntries([...start.matchAll(/\b([A-Z_]+)=\$\{\1:-([^}]*)\}/g)].map((m) => [m[1], m[2]]));
