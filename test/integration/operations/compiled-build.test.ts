// The compiled server that `npm start` and the Dockerfile run (build/, from scripts/build.ts): it
// loads no .ts file at all (so Node's type stripper stays out of the process), finds the templates,
// static files and languages it discovers at run time, and the build drops output whose source is gone.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanEnv, ROOT } from '../../helpers/child-server.ts';
import { freePort } from '../../helpers/free-port.ts';
import { LANGUAGE_TAGS } from '../../../accounts/messages/catalog.ts';

const build = () =>
  new Promise<void>((resolve, reject) =>
    execFile(process.execPath, ['scripts/build.ts'], { cwd: ROOT, timeout: 120_000 }, (err, _stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve())),
  );

describe('the compiled server (build/)', function () {
  this.timeout(180_000);
  let server: ChildProcess | undefined;
  let dataDir: string;
  let output = '';

  before(async () => {
    // Output of a source that no longer exists (a removed language): the build deletes it.
    fs.mkdirSync(path.join(ROOT, 'build/accounts/messages'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'build/accounts/messages/zz.js'), 'export const language = { tag: "zz" };\n');
    await build();
  });
  after(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((resolve) => server!.once('exit', resolve));
    }
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('drops the output of removed sources', () => {
    assert.equal(fs.existsSync(path.join(ROOT, 'build/accounts/messages/zz.js')), false);
  });

  it('starts with type stripping turned off, and serves pages in every language with their static files', async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-compiled-'));
    const port = await freePort();
    // --no-experimental-strip-types: importing any .ts file would fail (ERR_UNKNOWN_FILE_EXTENSION).
    server = spawn(process.execPath, ['--no-experimental-strip-types', 'build/server/main.js'], {
      cwd: ROOT,
      env: cleanEnv({ DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.on('data', (c) => (output += c));
    server.stderr!.on('data', (c) => (output += c));
    const base = `http://127.0.0.1:${port}`;
    for (;;) {
      if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) break;
      if (server.exitCode !== null) assert.fail(`exited ${server.exitCode}:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.ok(LANGUAGE_TAGS.length > 1, 'the sources speak more than English');
    for (const tag of LANGUAGE_TAGS) {
      const page = await fetch(`${base}/`, { headers: { 'Accept-Language': tag } });
      assert.equal(page.status, 200);
      assert.match(await page.text(), new RegExp(`<html lang="${tag}"`), `the compiled catalog has ${tag}`);
    }
    for (const file of ['gatehouse.css', 'favicon.svg', 'webauthn.js', 'vendor/altcha.js']) {
      const response = await fetch(`${base}/static/${file}`);
      assert.equal(response.status, 200, file);
      assert.ok((await response.arrayBuffer()).byteLength > 0, file);
    }
    assert.doesNotMatch(output, /ERR_UNKNOWN_FILE_EXTENSION|Error/);
  });
});
