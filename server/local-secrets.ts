// For the embedded default: a key-encryption key and cookie keys generated once into DATA_DIR
// (mode 0600) when the environment does not provide them.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from './config.ts';

function readOrCreate(file: string, make: () => string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const value = make();
  try {
    fs.writeFileSync(file, value + '\n', { mode: 0o600, flag: 'wx' });
    return value;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return fs.readFileSync(file, 'utf8').trim();
    throw err;
  }
}

export function resolveSecrets(config: Config): { kek: Buffer; cookieKeys: string[] } {
  const kek =
    config.kek ?? Buffer.from(readOrCreate(path.join(config.dataDir, 'kek'), () => randomBytes(32).toString('base64')), 'base64');
  const cookieKeys =
    config.cookieKeys ??
    readOrCreate(path.join(config.dataDir, 'cookie-keys'), () => randomBytes(32).toString('base64url')).split(',');
  return { kek, cookieKeys };
}
