// Templates and static files are not copied into build/: a compiled module (build/views/render.js)
// reads them from the source tree (views/templates), so both `node server/main.ts` and the compiled
// server find the same files, and an edited template needs no rebuild.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// This module is views/source-dir.ts, or build/views/source-dir.js when compiled (tsconfig.build.json).
const compiled = import.meta.url.endsWith('.js');
const buildDir = path.resolve(here, '..');
const root = compiled ? path.resolve(buildDir, '..') : buildDir;

/** The source directory of the module at `moduleUrl` (its import.meta.url), compiled or not. */
export function sourceDir(moduleUrl: string): string {
  const dir = path.dirname(fileURLToPath(moduleUrl));
  return compiled ? path.join(root, path.relative(buildDir, dir)) : dir;
}
