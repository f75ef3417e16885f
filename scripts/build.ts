// Compiles the server (and the bench's server children) to build/, which `npm start` (its prestart),
// the Dockerfile and the bench run. Compiled JavaScript, because running the .ts sources keeps Node's
// type stripper (amaro, ~20 MiB) resident in every server process. Type checking is `npm test`'s
// job (tsc --noEmit), so the emit skips it (noCheck in tsconfig.build.json).
//
// `tsc -b` compares the sources' mtimes with build/.tsbuildinfo: with nothing changed it returns at
// once, otherwise it re-emits. It never deletes the output of a removed source, so that is done here:
// a stale build/accounts/messages/xx.js would still be found by the catalog, which lists its folder.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BUILD_DIR = path.join(ROOT, 'build');

let built = false;

/** Brings build/ up to date with the sources (once per process). */
export function ensureBuild(): void {
  if (built) return;
  const tsc = createRequire(import.meta.url).resolve('typescript/lib/tsc.js');
  execFileSync(process.execPath, [tsc, '-b', path.join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
  removeOrphans(BUILD_DIR);
  built = true;
}

/** Deletes every build/…/x.js whose source …/x.ts no longer exists. */
function removeOrphans(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) removeOrphans(file);
    else if (entry.name.endsWith('.js') && !fs.existsSync(sourceOf(file))) fs.rmSync(file);
  }
}

function sourceOf(compiled: string): string {
  return path.join(ROOT, path.relative(BUILD_DIR, compiled)).replace(/\.js$/, '.ts');
}

/** The compiled file of a source (bench/server-process.ts → build/bench/server-process.js), built first. */
export function compiled(source: string | URL): string {
  ensureBuild();
  const file = source instanceof URL ? fileURLToPath(source) : path.resolve(source);
  return path.join(BUILD_DIR, path.relative(ROOT, file)).replace(/\.ts$/, '.js');
}

if (import.meta.main) ensureBuild();
