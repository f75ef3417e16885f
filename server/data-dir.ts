// DATA_DIR is checked before anything uses it: Node's recursive mkdir loops forever on some
// paths (DATA_DIR=/proc/nope hung the start), and a read-only directory should fail at once with
// the variable to fix, not later inside PGlite or on the first email.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config.ts';

export class DataDirError extends Error {}

/** Whether this configuration writes anything under DATA_DIR (embedded store, generated secrets, outbox). */
export function usesDataDir(config: Config): boolean {
  return !config.databaseUrl || !config.kek || !config.cookieKeys || !config.smtpUrl;
}

/** Creates DATA_DIR (mode 0700) if missing and proves it is a writable directory. */
export function prepareDataDir(dataDir: string): void {
  const fail = (what: string, err: unknown) =>
    new DataDirError(`DATA_DIR ${dataDir} is not usable: ${what} (${(err as NodeJS.ErrnoException).code ?? String(err)}); set DATA_DIR to a writable directory`);
  try {
    makeDirectory(path.resolve(dataDir), 0);
  } catch (err) {
    throw fail('cannot create it', err);
  }
  if (!fs.statSync(dataDir).isDirectory()) throw fail('not a directory', 'ENOTDIR');
  const probe = path.join(dataDir, `.write-test-${process.pid}`);
  try {
    fs.writeFileSync(probe, '', { mode: 0o600 });
    fs.rmSync(probe, { force: true });
  } catch (err) {
    throw fail('cannot write to it', err);
  }
}

/** mkdir -p, one level at a time, so a path that can never exist fails instead of retrying forever. */
function makeDirectory(dir: string, depth: number): void {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    const parent = path.dirname(dir);
    if (code !== 'ENOENT' || parent === dir || depth > 64) throw err;
    makeDirectory(parent, depth + 1);
    fs.mkdirSync(dir, { mode: 0o700 });
  }
}
