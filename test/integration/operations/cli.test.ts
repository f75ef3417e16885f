// The operator CLI, run as a real process against an embedded (PGlite) store in a temp DATA_DIR:
// help, sign-up rules, application registration (list, show, create, update, delete, rotate-secret)
// with hashed secrets, key rotation, and — with `npm start`'s server holding the store — the same
// commands carried out by the running server over its control channel (DATA_DIR/control.sock).
//
// Not covered: the same commands against PostgreSQL. The CLI has no schema option, so a run
// against DATABASE_URL would write into the shared database's default schema.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_VARIABLES } from '../../../server/config.ts';
import { openDatabase } from '../../../adapters/database.ts';
import { hashClientSecret } from '../../../adapters/client-store.ts';
import { freePort } from '../../helpers/free-port.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const COMMANDS = ['migrate', 'clients list', 'clients show', 'clients create', 'clients update', 'clients delete', 'clients rotate-secret', 'users create', 'keys rotate'];
const PASSWORD = 'Correct-Horse-9';

type Result = { code: number | null; stdout: string; stderr: string };

/** The environment of a child: this process's, minus every Gatehouse variable (so no DATABASE_URL leaks in). */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CONFIG_VARIABLES) delete env[name];
  return { ...env, LOG_LEVEL: 'silent', ...extra };
}


async function healthz(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
    return res.status;
  } catch {
    return undefined;
  }
}

describe('gatehouse CLI', function () {
  this.timeout(60_000);

  let dataDir: string;
  let server: ChildProcess | undefined;

  function cli(...args: string[]): Promise<Result> {
    return new Promise((resolve) => {
      const child = execFile(
        process.execPath,
        ['server/cli.ts', ...args],
        { cwd: ROOT, env: childEnv({ DATA_DIR: dataDir }), timeout: 50_000 },
        (_err, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
      );
    });
  }

  /** Runs a command that must succeed and returns its JSON output. */
  async function cliJson(...args: string[]): Promise<Record<string, any>> {
    const result = await cli(...args);
    assert.equal(result.code, 0, `gatehouse ${args.join(' ')} failed:\n${result.stderr}`);
    return JSON.parse(result.stdout);
  }

  /** Opens the store the CLI wrote to (only while no process holds it). */
  async function withStore<T>(use: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<T>): Promise<T> {
    const db = await openDatabase({ dataDir });
    try {
      return await use(db);
    } finally {
      await db.close();
    }
  }

  let firstMigrate: Result;
  before(async function () {
    // Creating the PGlite store is the slow part (seconds; more on a busy machine): done once, here.
    this.timeout(120_000);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cli-'));
    firstMigrate = await cli('migrate');
  });
  after(() => {
    server?.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  describe('help', () => {
    it('--help lists every command', async () => {
      const { code, stdout } = await cli('--help');
      assert.equal(code, 0);
      assert.match(stdout, /^Usage: gatehouse <command>/);
      for (const command of COMMANDS) assert.match(stdout, new RegExp(`^  ${command} `, 'm'), command);
    });

    it('no arguments prints the same help', async () => {
      assert.equal((await cli()).stdout, (await cli('--help')).stdout);
    });

    it('an unknown command exits 1 and shows the commands', async () => {
      const { code, stderr } = await cli('users', 'delete');
      assert.equal(code, 1);
      assert.match(stderr, /unknown command "users delete"/);
      assert.match(stderr, /users create/);
    });

    for (const command of COMMANDS) {
      it(`${command} --help prints its usage`, async () => {
        const { code, stdout, stderr } = await cli(...command.split(' '), '--help');
        assert.equal(code, 0, stderr);
        assert.match(stdout, new RegExp(`Usage: gatehouse ${command}`));
      });
    }

    it('an unknown option exits 1 and shows the usage', async () => {
      const { code, stderr } = await cli('users', 'create', '--nickname', 'x');
      assert.equal(code, 1);
      assert.match(stderr, /--nickname/);
      assert.match(stderr, /Usage: gatehouse users create/);
    });
  });

  describe('migrate', () => {
    it('applies every migration on a new store, then nothing', async () => {
      assert.equal(firstMigrate.code, 0, firstMigrate.stderr);
      const { applied } = JSON.parse(firstMigrate.stdout);
      assert.ok(applied.length > 0, firstMigrate.stdout);
      assert.deepEqual(await cliJson('migrate'), { applied: [] });
    });
  });

  describe('users create', () => {
    it('with bad input prints every broken rule and exits 1', async () => {
      const { code, stdout, stderr } = await cli(
        'users', 'create', '--username', 'a!', '--email', 'not-an-email', '--password', 'short', '--company', 'x',
      );
      assert.equal(code, 1);
      assert.equal(stdout, '');
      for (const rule of [
        'email: Enter a valid email address.',
        'username: Username must be at least 3 characters.',
        'username: Username can contain only letters, numbers, dashes and underscores.',
        'password: Password must be between 8 and 64 characters.',
        'password: Password must contain at least one uppercase letter.',
        'password: Password must contain at least one number.',
        'company: Company must be at least 2 characters.',
      ]) {
        assert.ok(stderr.includes(rule), `missing "${rule}" in:\n${stderr}`);
      }
      assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
    });

    it('with a missing option names it', async () => {
      const { code, stderr } = await cli('users', 'create', '--username', 'nobody', '--email', 'n@example.com', '--password', PASSWORD);
      assert.equal(code, 1);
      assert.match(stderr, /--company is required/);
    });

    it('with good input prints the account and its organization as JSON', async () => {
      const user = await cliJson(
        'users', 'create', '--username', 'Ada_Admin', '--email', 'Ada@Example.com', '--password', PASSWORD, '--company', '  Initech ',
      );
      assert.equal(user.username, 'Ada_Admin');
      assert.equal(user.email, 'ada@example.com');
      assert.match(user.id, /^[0-9a-f-]{36}$/);
      assert.equal(user.organization.name, 'Initech');
      assert.match(user.organization.id, /^[0-9a-f-]{36}$/);
      assert.equal(user.organization.parentId, null);
    });

    it('refuses a username taken in another case', async () => {
      const { code, stderr } = await cli(
        'users', 'create', '--username', 'ada_admin', '--email', 'other@example.com', '--password', PASSWORD, '--company', 'Initrode',
      );
      assert.equal(code, 1);
      assert.match(stderr.trim(), /^gatehouse: .*This username is taken\.$/);
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
      const organizations = await withStore((db) => db.knex('organizations').where({ name: 'Initrode' }).select('id'));
      assert.deepEqual(organizations, [], 'no organization is left behind');
    });
  });

  describe('clients', () => {
    it('create prints the application with a generated secret, and stores only its digest', async () => {
      const client = await cliJson(
        'clients', 'create', '--client-id', 'payroll', '--redirect-uri', 'https://payroll.example.com/callback', '--name', 'Payroll',
      );
      assert.equal(client.clientId, 'payroll');
      assert.equal(client.kind, 'web');
      assert.equal(client.name, 'Payroll');
      assert.deepEqual(client.redirectUris, ['https://payroll.example.com/callback']);
      assert.match(client.clientSecret, /^[A-Za-z0-9_-]{43}$/, '256-bit base64url secret');

      const stored = await withStore((db) => db.knex('oidc_clients').where({ client_id: 'payroll' }).first('metadata'));
      assert.ok(stored, 'client row');
      assert.equal(stored.metadata.client_secret, hashClientSecret(client.clientSecret));
      assert.deepEqual(stored.metadata.grant_types, ['authorization_code', 'refresh_token']);
    });

    it('create refuses an existing client id, exits 1 and names update; the first secret keeps working', async () => {
      const before = await withStore((db) => db.knex('oidc_clients').where({ client_id: 'payroll' }).first('metadata'));
      const { code, stdout, stderr } = await cli('clients', 'create', '--client-id', 'payroll', '--redirect-uri', 'https://evil.example.com/cb');
      assert.equal(code, 1);
      assert.equal(stdout, '');
      assert.match(stderr, /^gatehouse: An application with client id payroll already exists; change it with update\./);
      const after = await withStore((db) => db.knex('oidc_clients').where({ client_id: 'payroll' }).first('metadata'));
      assert.deepEqual(after, before, 'nothing was replaced');
    });

    it('creates a public client (SPA) without a secret', async () => {
      const client = await cliJson('clients', 'create', '--client-id', 'spa', '--public', '--redirect-uri', 'https://spa.example.com/cb', '--web-origin', 'https://spa.example.com');
      assert.equal(client.clientSecret, undefined);
      assert.equal(client.kind, 'spa');
      assert.equal(client.tokenEndpointAuthMethod, 'none');
      assert.deepEqual(client.webOrigins, ['https://spa.example.com']);
    });

    it('update changes only the flags given', async () => {
      const updated = await cliJson('clients', 'update', 'payroll', '--redirect-uri', 'https://payroll.example.com/cb2', '--first-party');
      assert.deepEqual(updated.redirectUris, ['https://payroll.example.com/cb2']);
      assert.equal(updated.firstParty, true);
      assert.equal(updated.name, 'Payroll', 'unchanged');
      const off = await cliJson('clients', 'update', 'payroll', '--no-first-party', '--disabled');
      assert.equal(off.firstParty, false);
      assert.equal(off.disabled, true);
      assert.deepEqual(off.redirectUris, ['https://payroll.example.com/cb2'], 'unchanged');
      const shown = await cliJson('clients', 'show', 'payroll');
      assert.equal(shown.disabled, true);
      assert.equal(shown.clientSecret, undefined, 'never shown again');
      const { code, stderr } = await cli('clients', 'update', 'payroll', '--redirect-uri', 'http://payroll.example.com/cb');
      assert.equal(code, 1);
      assert.match(stderr, /redirectUris: .*use https/);
      assert.equal((await cliJson('clients', 'show', 'payroll')).redirectUris[0], 'https://payroll.example.com/cb2', 'never stored half');
    });

    it('list shows every application; rotate-secret replaces the digest; delete removes it', async () => {
      const listed = await cliJson('clients', 'list');
      assert.deepEqual(listed.map((c: { clientId: string }) => c.clientId).filter((id: string) => ['payroll', 'spa'].includes(id)), ['payroll', 'spa']);
      const rotated = await cliJson('clients', 'rotate-secret', 'payroll');
      const stored = await withStore((db) => db.knex('oidc_clients').where({ client_id: 'payroll' }).first('metadata'));
      assert.equal(stored.metadata.client_secret, hashClientSecret(rotated.clientSecret));
      const publicRotate = await cli('clients', 'rotate-secret', 'spa');
      assert.equal(publicRotate.code, 1);
      assert.match(publicRotate.stderr, /public clients: they have no secret/);
      assert.deepEqual(await cliJson('clients', 'delete', 'spa'), { deleted: 'spa' });
      const gone = await cli('clients', 'show', 'spa');
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /No such application/);
    });

    it('a service application gets API permissions as scopes; an interactive app is told to use a service', async () => {
      const owner = await cliJson('users', 'create', '--username', 'svc_owner', '--email', 'svc@example.com', '--password', PASSWORD, '--company', 'Svc Co');
      const service = await cliJson('clients', 'create', '--client-id', 'hr-sync', '--kind', 'service', '--scope', 'users:read', '--organization', owner.organization.id);
      assert.equal(service.kind, 'service');
      assert.deepEqual(service.scopes, ['users:read']);
      assert.equal(service.organizationId, owner.organization.id);
      const legacy = await cliJson('clients', 'create', '--client-id', 'hr-legacy', '--grant-types', 'client_credentials', '--scope', 'audit:read', '--organization', owner.organization.id);
      assert.equal(legacy.kind, 'service');
      const web = await cli('clients', 'create', '--client-id', 'web-api', '--redirect-uri', 'https://x.example.com/cb', '--scope', 'openid users:read');
      assert.equal(web.code, 1);
      assert.match(web.stderr, /API permissions are for a Service application/);
    });

    const refusals: [string, string[], RegExp][] = [
      ['an unknown grant type', ['--client-id', 'c1', '--grant-types', 'bogus'], /unknown grant type bogus \(allowed: authorization_code, refresh_token, client_credentials\)/],
      ['a missing redirect URI', ['--client-id', 'c2'], /redirectUris: Register at least one redirect URI/],
      ['a redirect URI with a fragment', ['--client-id', 'c3', '--redirect-uri', 'https://x.example.com/cb#f'], /must not contain a fragment/],
      ['a wildcard redirect URI', ['--client-id', 'c3w', '--redirect-uri', 'https://*.example.com/cb'], /wildcards are not allowed/],
      ['a short secret', ['--client-id', 'c4', '--redirect-uri', 'https://x.example.com/cb', '--client-secret', 'short'], /at least 32 characters/],
      ['a public client_credentials client', ['--client-id', 'c5', '--public', '--grant-types', 'client_credentials'], /cannot use client_credentials/],
      ['an unknown scope', ['--client-id', 'c6', '--redirect-uri', 'https://x.example.com/cb', '--scope', 'openid admin'], /Unknown scopes: admin/],
      ['a native private-use scheme that is no reverse domain', ['--client-id', 'c7', '--kind', 'native', '--redirect-uri', 'myapp:/cb'], /reverse domain name/],
    ];
    for (const [what, args, message] of refusals) {
      it(`refuses ${what} with a clear error`, async () => {
        const { code, stdout, stderr } = await cli('clients', 'create', ...args);
        assert.equal(code, 1, stderr);
        assert.equal(stdout, '');
        assert.match(stderr, /^gatehouse: /);
        assert.match(stderr, message);
        assert.doesNotMatch(stderr, /^\s+at /m);
        // The store must still be shut down cleanly.
        assert.ok(!fs.existsSync(path.join(dataDir, 'pglite', 'postmaster.pid')), 'store left unclean');
      });
    }
  });

  describe('keys rotate', () => {
    it('adds an RS256 and an ES256 key each time and retires the previous ones', async () => {
      const first = await cliJson('keys', 'rotate');
      const second = await cliJson('keys', 'rotate');
      for (const { added } of [first, second]) {
        assert.deepEqual(added.map((k: { alg: string }) => k.alg).sort(), ['ES256', 'RS256']);
      }
      const rows = await withStore((db) => db.knex('signing_keys').select('kid', 'alg', 'retired_at'));
      const active = rows.filter((r) => r.retired_at === null).map((r) => r.kid).sort();
      assert.equal(rows.length, 4);
      assert.deepEqual(active, second.added.map((k: { kid: string }) => k.kid).sort());
    });
  });

  describe('with a server running on the same embedded store', () => {
    let url: string;
    let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
    let serverOutput = '';

    before(async function () {
      this.timeout(120_000);
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      server = spawn(process.execPath, ['server/main.ts'], {
        cwd: ROOT,
        env: childEnv({ DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      server.stdout!.on('data', (chunk) => (serverOutput += chunk));
      server.stderr!.on('data', (chunk) => (serverOutput += chunk));
      exited = new Promise((resolve) => server!.once('exit', (code, signal) => resolve({ code, signal })));
      const deadline = Date.now() + 110_000;
      while ((await healthz(url)) !== 200) {
        if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode}:\n${serverOutput}`);
        if (Date.now() > deadline) throw new Error(`server did not answer /healthz:\n${serverOutput}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    });

    it('the running server carries out the CLI\'s commands on its store (control channel, mode 0600)', async () => {
      const socket = path.join(dataDir, 'control.sock');
      assert.equal(fs.statSync(socket).mode & 0o777, 0o600);
      const user = await cliJson(
        'users', 'create', '--username', 'second_user', '--email', 's@example.com', '--password', PASSWORD, '--company', 'Acme',
      );
      assert.equal(user.organization.name, 'Acme');
      const created = await cliJson('clients', 'create', '--client-id', 'live-svc', '--kind', 'service', '--scope', 'users:read', '--organization', user.organization.id);
      // The server sees the new application at once: a client-credentials token for it.
      const token = await fetch(`${url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`live-svc:${created.clientSecret}`).toString('base64')}` },
        body: 'grant_type=client_credentials&scope=users:read',
      });
      assert.equal(token.status, 200, await token.clone().text());
      const users = await fetch(`${url}/api/v1/users`, { headers: { authorization: `Bearer ${(await token.json()).access_token}` } });
      assert.equal(users.status, 200);

      const duplicate = await cli('clients', 'create', '--client-id', 'live-svc', '--kind', 'service', '--scope', 'users:read');
      assert.equal(duplicate.code, 1);
      assert.match(duplicate.stderr, /already exists; change it with update/);
      assert.equal((await cliJson('clients', 'update', 'live-svc', '--name', 'Live service')).name, 'Live service');
      assert.equal((await cliJson('clients', 'show', 'live-svc')).scopes[0], 'users:read');
      assert.ok((await cliJson('clients', 'list')).some((c: { clientId: string }) => c.clientId === 'live-svc'));
      const rotated = await cliJson('clients', 'rotate-secret', 'live-svc');
      const old = await fetch(`${url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`live-svc:${created.clientSecret}`).toString('base64')}` },
        body: 'grant_type=client_credentials',
      });
      assert.equal(old.status, 401, 'the old secret is refused at once');
      assert.notEqual(rotated.clientSecret, created.clientSecret);
      assert.deepEqual(await cliJson('clients', 'delete', 'live-svc'), { deleted: 'live-svc' });
    });

    it('help still works while the store is busy', async () => {
      const { code } = await cli('keys', 'rotate', '--help');
      assert.equal(code, 0);
    });

    it('the server keeps answering and keeps its lock', async () => {
      assert.equal(await healthz(url), 200);
      assert.equal(fs.readFileSync(path.join(dataDir, 'pglite.lock'), 'utf8'), String(server!.pid));
    });

    it('SIGTERM stops the server gracefully: exit 0, lock released', async () => {
      server!.kill('SIGTERM');
      const { code, signal } = await exited;
      assert.equal(signal, null, serverOutput);
      assert.equal(code, 0, serverOutput);
      assert.match(serverOutput, /"msg":"stopped"/);
      assert.ok(!fs.existsSync(path.join(dataDir, 'pglite.lock')), 'lock file removed');
      server = undefined;
    });

    it('after the server stops, the CLI opens the store itself and sees what the server wrote', async () => {
      assert.ok(!fs.existsSync(path.join(dataDir, 'control.sock')), 'control socket removed');
      const listed = await cliJson('clients', 'list');
      assert.ok(!listed.some((c: { clientId: string }) => c.clientId === 'live-svc'), 'deleted through the server');
      const third = await cliJson('users', 'create', '--username', 'third_user', '--email', 't@example.com', '--password', PASSWORD, '--company', 'Acme 3');
      assert.equal(third.organization.name, 'Acme 3');
    });
  });

  describe('after a crash', () => {
    it('takes over a stale lock left by a process that died', async () => {
      const dead = spawn(process.execPath, ['-e', '']);
      await new Promise((resolve) => dead.once('exit', resolve));
      fs.writeFileSync(path.join(dataDir, 'pglite.lock'), String(dead.pid));
      const { code, stderr } = await cli('migrate');
      assert.equal(code, 0, stderr);
      assert.ok(!fs.existsSync(path.join(dataDir, 'pglite.lock')));
    });
  });
});
