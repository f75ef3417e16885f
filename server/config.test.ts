// Configuration: defaults when nothing is set, and one clear line naming the variable when a
// value is wrong — from loadConfig() and from the real `node server/main.ts` process.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from './config.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** 32 bytes, base64: a valid KEK. */
const VALID_KEK = Buffer.alloc(32, 7).toString('base64');

describe('configuration', () => {
  describe('defaults', () => {
    const config = loadConfig({});
    const cases: [string, unknown, unknown][] = [
      ['PORT', config.port, 3000],
      ['ISSUER', config.issuer, 'http://localhost:3000'],
      ['DATA_DIR', config.dataDir, './data'],
      ['TRUST_PROXY', config.trustProxy, false],
      ['LOG_LEVEL', config.logLevel, 'info'],
      ['DATABASE_URL', config.databaseUrl, undefined],
      ['REDIS_URL', config.redisUrl, undefined],
      ['KEK', config.kek, undefined],
      ['COOKIE_KEYS', config.cookieKeys, undefined],
      ['REDIS_CLUSTER', config.redisCluster, undefined],
      ['WEB_CONCURRENCY', config.workers, 1],
      ['SIGNING_KEY_ROTATION_DAYS', config.signingKeyRotationDays, 90],
    ];
    for (const [variable, actual, expected] of cases) {
      it(`${variable} defaults to ${String(expected)}`, () => assert.deepEqual(actual, expected));
    }

    it('treats empty values as unset', () => {
      assert.equal(loadConfig({ PORT: '', ISSUER: '', KEK: '' }).port, 3000);
    });

    it('derives the default issuer from PORT and trims a trailing slash from ISSUER', () => {
      assert.equal(loadConfig({ PORT: '4000' }).issuer, 'http://localhost:4000');
      assert.equal(loadConfig({ ISSUER: 'https://id.example.com/' }).issuer, 'https://id.example.com');
    });
  });

  describe('valid values', () => {
    it('parses every variable', () => {
      const config = loadConfig({
        PORT: '8080',
        ISSUER: 'https://id.example.com',
        DATABASE_URL: 'postgres://u:p@db:5432/gatehouse',
        REDIS_URL: 'rediss://cache:6380',
        DATA_DIR: '/var/lib/gatehouse',
        KEK: VALID_KEK,
        COOKIE_KEYS: `${'a'.repeat(32)}, ${'b'.repeat(40)}`,
        TRUST_PROXY: 'true',
        ALLOW_POST_AUTHORIZATION: 'yes',
        LOG_LEVEL: 'warn',
        SMTP_URL: 'smtp://mail:1025',
        MAIL_FROM: 'login@example.com',
      });
      assert.equal(config.port, 8080);
      assert.equal(config.issuer, 'https://id.example.com');
      assert.equal(config.kek?.length, 32);
      assert.deepEqual(config.cookieKeys, ['a'.repeat(32), 'b'.repeat(40)]);
      assert.equal(config.trustProxy, true);
      assert.equal(config.allowPostAuthorization, true);
      assert.equal(config.mailFrom, 'login@example.com');
    });

    it('runs one worker per core with PostgreSQL + Redis, WEB_CONCURRENCY overriding (1 allowed)', () => {
      const shared = { DATABASE_URL: 'postgres://db/gatehouse', REDIS_URL: 'redis://cache:6379' };
      assert.ok(loadConfig(shared).workers >= 1);
      assert.equal(loadConfig({ ...shared, WEB_CONCURRENCY: '1' }).workers, 1);
      assert.equal(loadConfig({ ...shared, WEB_CONCURRENCY: '6' }).workers, 6);
      assert.equal(loadConfig({ DATABASE_URL: shared.DATABASE_URL }).workers, 1, 'without Redis: one process');
    });

    it('reads REDIS_CLUSTER as a list of seed nodes', () => {
      const config = loadConfig({ REDIS_CLUSTER: 'redis://a:7000, redis://b:7001,redis://c:7002' });
      assert.deepEqual(config.redisCluster, ['redis://a:7000', 'redis://b:7001', 'redis://c:7002']);
      assert.equal(config.redisUrl, undefined);
      assert.equal(loadConfig({ SIGNING_KEY_ROTATION_DAYS: '30' }).signingKeyRotationDays, 30);
    });

    it('CONFIG_VARIABLES lists what loadConfig reads', () => {
      for (const v of ['PORT', 'ISSUER', 'DATABASE_URL', 'REDIS_URL', 'DATA_DIR', 'KEK', 'COOKIE_KEYS', 'TRUST_PROXY', 'LOG_LEVEL', 'SMTP_URL']) {
        assert.ok(CONFIG_VARIABLES.includes(v), v);
      }
    });
  });

  describe('invalid values stop with one line naming the variable', () => {
    const invalid: [variable: string, value: string][] = [
      ['PORT', 'abc'],
      ['PORT', '70000'],
      ['PORT', ' '], // was coerced to 0: a random port and issuer http://localhost:0
      ['PORT', '0x10'],
      ['ISSUER', 'not-a-url'],
      ['ISSUER', 'ftp://id.example.com'],
      ['ISSUER', 'https://id.example.com/?tenant=a'], // OIDC Discovery §4.3: no query or fragment
      ['ISSUER', 'https://id.example.com/#x'],
      ['DATABASE_URL', 'mysql://x'],
      ['REDIS_URL', 'http://x'],
      ['KEK', 'short'],
      ['COOKIE_KEYS', 'short'],
      ['COOKIE_KEYS', `${'a'.repeat(32)},short`],
      ['TRUST_PROXY', 'maybe'],
      ['LOG_LEVEL', 'loud'],
      ['SMTP_URL', 'http://mail'],
      ['THEME_DIR', '/no/such/theme/directory'],
      ['THEME_DIR', ROOT + '/package.json'], // a file, not a directory
      ['REDIS_CLUSTER', 'redis://a:7000,http://b'],
      ['WEB_CONCURRENCY', '0'],
      ['WEB_CONCURRENCY', 'many'],
      ['WEB_CONCURRENCY', '4'], // without DATABASE_URL + Redis: the embedded store is one process
      ['SIGNING_KEY_ROTATION_DAYS', '0'],
      ['SIGNING_KEY_ROTATION_DAYS', '1.5'],
    ];
    for (const [variable, value] of invalid) {
      it(`${variable}=${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`, () => {
        assert.throws(
          () => loadConfig({ [variable]: value }),
          (err: unknown) => {
            assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
            assert.ok(!err.message.includes('\n'), `more than one line: ${JSON.stringify(err.message)}`);
            assert.match(err.message, new RegExp(`\\b${variable}\\b`));
            return true;
          },
        );
      });
    }

    it('does not echo a secret it rejects', () => {
      const secret = 'not-quite-a-kek-but-secret';
      assert.throws(() => loadConfig({ KEK: secret }), (err: Error) => !err.message.includes(secret));
    });
  });

  describe('node server/main.ts with a bad value', function () {
    this.timeout(60_000);

    it('exits 1 with exactly one line on stderr naming PORT, and no stack trace', async () => {
      const env: NodeJS.ProcessEnv = { ...process.env };
      for (const v of CONFIG_VARIABLES) delete env[v];
      env.PORT = 'abc';
      const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = execFile(process.execPath, ['server/main.ts'], { cwd: ROOT, env, timeout: 50_000 }, (_err, _stdout, stderr) =>
          resolve({ code: child.exitCode, stderr }),
        );
      });
      assert.equal(code, 1);
      const lines = stderr.split('\n').filter((l) => l.trim() !== '');
      assert.equal(lines.length, 1, `stderr:\n${stderr}`);
      assert.match(lines[0], /\bPORT\b/);
      assert.ok(!lines.some((l) => /^\s*at /.test(l)), `stack trace on stderr:\n${stderr}`);
    });
  });
});
