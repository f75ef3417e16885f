// Compiles the server to build/ (tsconfig.build.json), which `npm start` (its prestart), the
// Dockerfile and the bench run: compiled JavaScript, because running the .ts sources keeps Node's
// type stripper (amaro, ~20 MiB RSS) resident in every server process. The build includes the two
// bench children (server-process.ts, bare-provider.ts) so the bench measures the same compiled code.
// Type checking is `npm test`'s job (tsc --noEmit), so the emit skips it (noCheck).
//
// Up to date is decided by content, not mtimes (a file copied in with an old mtime, `cp -p` or
// `tar x`, would fool tsc -b): build/.sources.json holds a digest of every source the last build
// compiled and of every .ts file now under `include`. Nothing changed: no tsc at all (~0.2 s in all).
// Otherwise `tsc -p` re-emits (incremental). Either way outputs whose source is gone are deleted: tsc
// never deletes them, and the catalog would still find a removed language's build/accounts/messages/xx.js.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BUILD_DIR = path.join(ROOT, 'build');
const CONFIG = path.join(ROOT, 'tsconfig.build.json');
const STAMP = path.join(BUILD_DIR, '.sources.json');
const require = createRequire(import.meta.url);

type Stamp = { digest: string; compiled: string[] };

let built = false;

/** Brings build/ up to date with the sources (once per process). */
export function ensureBuild(): void {
  if (built) return;
  const previous = readStamp();
  if (!previous || previous.digest !== digest(previous.compiled)) {
    fs.rmSync(STAMP, { force: true }); // a failed build leaves none, so the next start builds again
    const listed = tsc();
    // --listFiles prints the program's files (ours and node_modules' .d.ts); a change to one of ours rebuilds.
    const compiled = listed.split('\n').map((f) => path.relative(ROOT, f.trim())).filter((f) => f.endsWith('.ts') && !f.startsWith('..') && !f.startsWith('node_modules'));
    fs.writeFileSync(STAMP, JSON.stringify({ digest: digest(compiled), compiled } satisfies Stamp));
  }
  removeOrphans(BUILD_DIR);
  built = true;
}

/** Runs tsc -p tsconfig.build.json; returns what --listFiles printed. tsc prints its errors on stdout too. */
function tsc(): string {
  try {
    return execFileSync(process.execPath, [require.resolve('typescript/lib/tsc.js'), '-p', CONFIG, '--listFiles'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  } catch (err) {
    const stdout = String((err as { stdout?: string }).stdout ?? '');
    process.stderr.write(stdout.split('\n').filter((line) => !path.isAbsolute(line.trim())).join('\n'));
    throw new Error('the build (tsc -p tsconfig.build.json) failed', { cause: err });
  }
}

function readStamp(): Stamp | undefined {
  try {
    return JSON.parse(fs.readFileSync(STAMP, 'utf8')) as Stamp;
  } catch {
    return undefined;
  }
}

/** Digest of the build's inputs: the files it compiled last time, every .ts file under `include` now, the configs and tsc's version. */
function digest(compiled: string[]): string {
  const config = JSON.parse(fs.readFileSync(CONFIG, 'utf8')) as { include: string[] };
  const files = new Set([...compiled, ...config.include.flatMap((entry) => sources(entry)), 'tsconfig.json', 'tsconfig.build.json']);
  const hash = createHash('sha256').update((require('typescript/package.json') as { version: string }).version);
  for (const file of [...files].sort()) {
    hash.update(`\0${file}\0`);
    try {
      hash.update(fs.readFileSync(path.join(ROOT, file)));
    } catch {
      hash.update('(missing)');
    }
  }
  return hash.digest('hex');
}

/** The non-test .ts files of an `include` entry (a directory or one file), relative to ROOT. */
function sources(entry: string): string[] {
  if (!fs.statSync(path.join(ROOT, entry), { throwIfNoEntry: false })?.isDirectory()) return [entry];
  return (fs.readdirSync(path.join(ROOT, entry), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .map((f) => path.join(entry, f));
}

/** Deletes every build/…/x.js whose source …/x.ts no longer exists. */
function removeOrphans(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) removeOrphans(file);
    else if (entry.name.endsWith('.js') && !fs.existsSync(path.join(ROOT, path.relative(BUILD_DIR, file)).replace(/\.js$/, '.ts'))) fs.rmSync(file);
  }
}

/** The compiled file of a source (bench/server-process.ts → build/bench/server-process.js), built first. */
export function compiled(source: string | URL): string {
  ensureBuild();
  const file = source instanceof URL ? fileURLToPath(source) : path.resolve(source);
  return path.join(BUILD_DIR, path.relative(ROOT, file)).replace(/\.ts$/, '.js');
}

if (import.meta.main) {
  try {
    ensureBuild();
  } catch (err) {
    console.error(`gatehouse: ${(err as Error).message}`);
    process.exit(1);
  }
}
