// oidc-provider as published, without our patches/ (bench/bare-provider.ts with BARE_STOCK=1): the
// bare baseline is otherwise the patched library Gatehouse runs, which the patches made faster too.
// A copy under node_modules/.cache, reverse-patched; its own imports resolve from ./node_modules.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sourceDir } from '../views/source-dir.ts';

/** The checkout: this module is bench/stock-provider.ts, or build/bench/stock-provider.js compiled. */
const root = path.resolve(sourceDir(import.meta.url), '..');

/** The stock copy's entry module (made once per installed version). */
export function stockProviderEntry(): string {
  const installed = path.join(root, 'node_modules', 'oidc-provider');
  const { version } = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')) as { version: string };
  const base = path.join(root, 'node_modules', '.cache', 'gatehouse-bench', version);
  const copy = path.join(base, 'node_modules', 'oidc-provider');
  if (!fs.existsSync(path.join(copy, 'package.json'))) {
    fs.rmSync(base, { recursive: true, force: true });
    fs.cpSync(installed, copy, { recursive: true });
    const patch = path.join(root, 'patches', `oidc-provider+${version}.patch`);
    // The patch names node_modules/oidc-provider/…: reversed from `base`, it restores the published files.
    if (fs.existsSync(patch)) execFileSync('patch', ['-R', '-p1', '-s', '-d', base, '-i', patch]);
  }
  return pathToFileURL(path.join(copy, 'lib', 'index.js')).href;
}
