// The reference device as a person runs it: `gatehouse authenticator enroll|approve` in a real
// child process against a real server, with its key in a file of its own (mode 0600). These
// commands only talk HTTP, so they work while the server holds the store and never open a database.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGatehouse, type TestServer } from '../../../helpers/gatehouse-server.ts';
import { CONFIG_VARIABLES } from '../../../../server/config.ts';
import { heading, pushHelpers, shownNumber, testids } from './push-helpers.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
type Result = { code: number | null; stdout: string; stderr: string };

describe('MFA: the reference device CLI (gatehouse authenticator)', function () {
  this.timeout(60_000);
  let server: TestServer;
  let client: Awaited<ReturnType<TestServer['createClient']>>;
  let dir: string;
  const h = pushHelpers(() => ({ server, client }));

  function cli(...args: string[]): Promise<Result> {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of CONFIG_VARIABLES) delete env[name];
    // A database nobody can reach and a store directory that does not exist: neither may be touched.
    Object.assign(env, { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', DATA_DIR: path.join(dir, 'no-such-dir'), HOME: dir });
    return new Promise((resolve) => {
      const child = execFile(process.execPath, ['server/cli.ts', ...args], { cwd: ROOT, env, timeout: 55_000 }, (_err, stdout, stderr) =>
        resolve({ code: child.exitCode, stdout, stderr }),
      );
    });
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-authenticator-'));
    server = await startGatehouse();
    client = await server.createClient();
  });
  after(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists both commands in the help, each with its usage', async () => {
    const help = await cli('--help');
    assert.match(help.stdout, /^ {2}authenticator enroll /m);
    assert.match(help.stdout, /^ {2}authenticator approve /m);
    const usage = await cli('authenticator', 'approve', '--help');
    assert.equal(usage.code, 0, usage.stderr);
    assert.match(usage.stdout, /Usage: gatehouse authenticator approve/);
  });

  it('enrols, approves by number, denies, and long-polls for a request', async () => {
    const keyFile = path.join(dir, 'phone.json');
    const user = await server.createUser({ mfa: false });
    const { jar, setup, code } = await h.openPushSetup(user);

    const enrolled = await cli('authenticator', 'enroll', code, '--server', server.url, '--name', 'CLI phone', '--key-file', keyFile);
    assert.equal(enrolled.code, 0, enrolled.stderr);
    const out = JSON.parse(enrolled.stdout);
    assert.match(out.deviceId, /^[0-9a-f-]{36}$/);
    assert.equal(out.server, server.url);
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600, 'the key file is private');
    const saved = JSON.parse(fs.readFileSync(keyFile, 'utf8'));
    assert.equal(saved.deviceId, out.deviceId);
    assert.ok(saved.privateKeyJwk.d, 'the private key stays in the file');

    const again = await cli('authenticator', 'enroll', 'AAAA-BBBB-CCCC', '--server', server.url, '--key-file', keyFile);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already holds a device/);

    const codes = await h.submit(jar, setup, {});
    assert.equal(heading(codes.body), 'Save your recovery codes');
    assert.ok((await h.submit(jar, codes, {})).location?.startsWith(client.redirect_uris[0]));
    const [method] = await server.gatehouse.mfa.listMethods(user.id);
    assert.equal(method.name, 'CLI phone');

    // Nothing waiting yet.
    const nothing = await cli('authenticator', 'approve', '--number', '42', '--key-file', keyFile);
    assert.equal(nothing.code, 1);
    assert.match(nothing.stderr, /No sign-in request is waiting/);

    // Approve by the number on the page.
    const login = await h.startLogin(user);
    const number = shownNumber(login.step.body);
    const approved = await cli('authenticator', 'approve', '--number', String(number), '--key-file', keyFile);
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stderr, new RegExp(`Sign-in to ${client.client_id} from 127\\.0\\.0\\.1 at .*numbers: .*\\b${number}\\b`));
    assert.equal(JSON.parse(approved.stdout).answered[0].status, 'approved');
    const done = await h.submit(login.jar, login.step, {});
    assert.ok(done.location?.startsWith(client.redirect_uris[0]), `landed on the RP, got ${done.location}`);

    // --wait: the device asks before the sign-in starts and denies it when it arrives.
    const waiting = cli('authenticator', 'approve', '--deny', '--wait', '20', '--key-file', keyFile);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const second = await h.startLogin(user);
    const denied = await waiting;
    assert.equal(denied.code, 0, denied.stderr);
    assert.equal(JSON.parse(denied.stdout).answered[0].status, 'denied');
    const page = await h.submit(second.jar, second.step, {});
    assert.deepEqual(testids(page.body), ['mfa.push_denied']);
  });

  it('refuses a key file others can read, and a missing one', async () => {
    const open = path.join(dir, 'open.json');
    fs.writeFileSync(open, '{}', { mode: 0o644 });
    fs.chmodSync(open, 0o644);
    const loose = await cli('authenticator', 'approve', '--deny', '--key-file', open);
    assert.equal(loose.code, 1);
    assert.match(loose.stderr, /chmod 600/);
    const missing = await cli('authenticator', 'approve', '--deny', '--key-file', path.join(dir, 'none.json'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /enrol this device first/);
  });
});
