// README's "Try a sign-in", as written: its fenced blocks are parsed out of README.md and run
// literally (npm start, the two CLI commands while the server runs, the authorization URL, the curl
// token request). `npm start` compiles the sources first (prestart) and runs the compiled server.
// Only the port differs (tests never use fixed ports): http://localhost:3000 becomes
// the test server's http://localhost:<port>. The person's part (sign in as alice, set up an
// authenticator app, copy the code) is done without a browser, as a person without JavaScript would.
import assert from 'node:assert/strict';
import { exec, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_VARIABLES } from '../../../server/config.ts';
import { totpCode } from '../../../accounts/totp.ts';
import { decodeJwtPayload } from '../../helpers/authorization.ts';
import { CookieJar, follow, formAction, postForm, type Step } from '../../helpers/browserless-user.ts';
import { freePort } from '../../helpers/free-port.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The fenced blocks of one README section, in order: { lang, lines }. */
function blocksOf(section: string) {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`## ${section}\n`);
  assert.ok(start >= 0, `README has a "${section}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  const text = readme.slice(start, end === -1 ? undefined : end);
  return [...text.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], lines: m[2].split('\n').filter((l) => l.trim()) }));
}


describe('README: Try a sign-in, run as written', function () {
  this.timeout(240_000);
  let dataDir: string;
  let server: ChildProcess | undefined;
  let issuer: string;
  let env: NodeJS.ProcessEnv;
  let output = '';

  const literal = (line: string) => line.replaceAll('http://localhost:3000', issuer);
  const sh = (line: string, extra: Record<string, string> = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      exec(literal(line), { cwd: ROOT, env: { ...env, ...extra }, timeout: 120_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    });

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-readme-'));
    const port = await freePort();
    issuer = `http://localhost:${port}`;
    env = { ...process.env };
    for (const name of CONFIG_VARIABLES) delete env[name];
    Object.assign(env, { DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' });
    // README's Start section: `npm start` (npm install is done already).
    assert.ok(blocksOf('Start')[0].lines.some((l) => l.includes('npm start')));
    server = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    server.stdout!.on('data', (c) => (output += c));
    server.stderr!.on('data', (c) => (output += c));
    const deadline = Date.now() + 200_000;
    for (;;) {
      const ok = await fetch(`${issuer}/healthz`).then((r) => r.ok, () => false);
      if (ok) break;
      if (server.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });
  after(() => {
    // npm start runs node as its child: end the whole group this test started.
    if (server?.pid) {
      try {
        process.kill(-server.pid, 'SIGTERM');
      } catch {}
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('signs alice in to the demo client and redeems the code with curl', async () => {
    const [setup, authorize, redeem] = blocksOf('Try a sign-in');
    assert.equal(setup.lang, 'sh');
    assert.equal(setup.lines.length, 2);

    // 1. The CLI commands, while the server runs.
    const results = [];
    for (const line of setup.lines) {
      const result = await sh(line);
      assert.equal(result.code, 0, `${line}\n${result.stderr}\n${output}`);
      results.push(result);
    }
    const printed = results[1].stdout;
    const client = JSON.parse(printed.slice(printed.indexOf('{')));
    assert.equal(client.clientId, 'demo');
    assert.ok(client.clientSecret, 'the secret is printed once');

    // 2. The authorization URL, opened by alice.
    assert.equal(authorize.lines.length, 1);
    const url = literal(authorize.lines[0]);
    const jar = new CookieJar();
    // The stylesheet, icon and scripts every page links (the compiled server reads them from views/static).
    const assets = new Set<string>();
    const linked = (step: Step) => {
      for (const [, href] of step.body.matchAll(/(?:href|src)="(\/static\/[^"]+)"/g)) assets.add(href);
      return step;
    };
    let page: Step = linked(await follow(jar, url, issuer));
    assert.equal(page.status, 200, page.body.slice(0, 500));
    page = linked(await postForm(jar, formAction(page.body, page.url), issuer, { username: 'alice', password: 'Correct-Horse-9' }));
    assert.match(page.body, /Set up multi-factor authentication/);
    const choose = new URL(page.body.match(/action="(\/interaction\/[^"]+\/enrol\/choose)"/)![1], issuer).href;
    page = linked(await postForm(jar, choose, issuer, { kind: 'totp' }));
    const secret = page.body.match(/data-testid="totp\/secret">([^<]+)</)![1].replace(/\s/g, '');
    page = linked(await postForm(jar, formAction(page.body, page.url), issuer, { name: 'Phone', code: await totpCode(secret) }));
    assert.match(page.body, /Save your recovery codes/);
    page = linked(await postForm(jar, formAction(page.body, page.url), issuer, {}));
    if (!page.location && page.body.includes('/continue"')) {
      // "Verify your email": continue for now.
      const action = new URL(page.body.match(/action="([^"]+\/continue)"/)![1], issuer).href;
      page = await postForm(jar, action, issuer, {});
    }
    assert.ok(page.location?.startsWith('http://localhost:8080/callback?code='), page.location ?? page.body.slice(0, 500));
    const callback = new URL(page.location!);
    assert.equal(callback.searchParams.get('state'), 'x');

    // 3. The curl command, with the code and secret the person pasted.
    const curl = redeem.lines.find((l) => l.startsWith('curl '))!;
    assert.ok(curl, 'a curl line');
    const answer = await sh(curl, { CODE: callback.searchParams.get('code')!, SECRET: client.clientSecret });
    assert.equal(answer.code, 0, answer.stderr);
    const tokens = JSON.parse(answer.stdout);
    assert.ok(tokens.access_token && tokens.id_token, answer.stdout);
    const claims = decodeJwtPayload(tokens.id_token);
    assert.equal(claims.preferred_username, 'alice');
    assert.equal(claims.email, 'alice@example.com');
    assert.equal(claims.org.name, 'Acme');
    assert.equal(claims.iss, issuer);

    // The pages' stylesheet, icon and scripts are served.
    assert.ok([...assets].some((a) => a.endsWith('.css')) && [...assets].some((a) => a.endsWith('.js')), [...assets].join(' '));
    for (const asset of assets) {
      const response = await fetch(new URL(asset, issuer));
      assert.equal(response.status, 200, asset);
      assert.ok((await response.arrayBuffer()).byteLength > 0, asset);
    }
  });

  it('runs the compiled server (build/server/main.js), as ps shows', function () {
    if (!fs.existsSync('/proc/self/task')) this.skip();
    // npm's `sh -c` execs node, so node is npm's child.
    const children = fs.readdirSync(`/proc/${server!.pid}/task`).flatMap((t) => fs.readFileSync(`/proc/${server!.pid}/task/${t}/children`, 'utf8').split(' ').filter(Boolean));
    const commands = children.map((pid) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean));
    assert.ok(commands.some((argv) => argv.at(-1) === 'build/server/main.js'), JSON.stringify(commands));
  });
});
