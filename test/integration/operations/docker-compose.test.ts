// The container files can't be run here (no Docker engine), so they are checked against the code
// they describe: docker-compose.yml only sets variables config.ts reads, with values loadConfig()
// accepts, pointing at services that exist; the Dockerfile's image is the Node the package needs,
// copies every directory the server imports, and its HEALTHCHECK command really probes /healthz.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { load as parseYaml } from 'js-yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../../server/config.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

type Service = {
  image?: string;
  build?: string | { context?: string };
  command?: string | string[];
  environment?: Record<string, unknown> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[] };
  ports?: (string | number | { target?: number; published?: number | string })[];
};

/** `environment:` as a map, from either compose form (map or list of KEY=VALUE). */
function environmentOf(service: Service): Record<string, unknown> {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return env;
  return Object.fromEntries(env.map((entry) => {
    const i = entry.indexOf('=');
    return i === -1 ? [entry, undefined] : [entry.slice(0, i), entry.slice(i + 1)];
  }));
}

function dependsOn(service: Service): Record<string, string | undefined> {
  const deps = service.depends_on ?? [];
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, undefined]));
  return Object.fromEntries(Object.entries(deps).map(([name, d]) => [name, d?.condition]));
}

/** Dockerfile instructions, continuation lines joined and comments dropped. */
function dockerfileInstructions(text: string): { keyword: string; args: string }[] {
  return text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** Top-level directories of every source file reachable through relative imports from the entry points. */
function importedTopLevelDirectories(entryPoints: string[]): Set<string> {
  const seen = new Set<string>();
  const pending = entryPoints.map((p) => path.join(ROOT, p));
  const importPattern = /(?:\bfrom\s+|\bimport\s*\(?\s*)['"](\.\.?\/[^'"]+)['"]/g;
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const [, specifier] of fs.readFileSync(file, 'utf8').matchAll(importPattern)) {
      const target = path.resolve(path.dirname(file), specifier);
      if (target.endsWith('.ts') && fs.existsSync(target)) pending.push(target);
    }
  }
  return new Set([...seen].map((file) => path.relative(ROOT, file).split(path.sep)[0]));
}

describe('docker-compose.yml', () => {
  const compose = parseYaml(read('docker-compose.yml')) as { services: Record<string, Service> };
  const services = compose.services;
  const gatehouse = services.gatehouse;
  const env = environmentOf(gatehouse ?? {});
  const serviceAt = (url: string) => {
    const name = new URL(url).hostname;
    assert.ok(services[name], `${url} points at "${name}", which is not a service`);
    return services[name];
  };

  it('has gatehouse, postgres, redis and a mail catcher', () => {
    assert.ok(gatehouse, 'gatehouse service');
    assert.match(services.postgres?.image ?? '', /^postgres:17\b/);
    assert.match(services.redis?.image ?? '', /^redis:7\b/);
    const mail = serviceAt(String(env.SMTP_URL));
    assert.match(mail.image ?? '', /mailpit|mailhog|maildev|smtp4dev/);
  });

  it('builds gatehouse from this directory', () => {
    const build = gatehouse.build;
    assert.equal(typeof build === 'string' ? build : build?.context, '.');
  });

  it('starts gatehouse after postgres and redis are healthy', () => {
    const deps = dependsOn(gatehouse);
    for (const name of ['postgres', 'redis']) {
      assert.ok(name in deps, `gatehouse depends on ${name}`);
      assert.equal(deps[name], 'service_healthy', `waits for ${name} to be healthy`);
      assert.ok(services[name].healthcheck?.test, `${name} has a healthcheck`);
    }
    assert.match(String(services.postgres.healthcheck?.test), /pg_isready/);
  });

  it('sets only variables config.ts reads, including the ones production needs', () => {
    const unknown = Object.keys(env).filter((name) => !CONFIG_VARIABLES.includes(name));
    assert.deepEqual(unknown, [], `not read by server/config.ts: ${unknown.join(', ')}`);
    for (const name of ['ISSUER', 'DATABASE_URL', 'REDIS_URL', 'KEK', 'COOKIE_KEYS', 'SMTP_URL', 'TRUST_PROXY', 'LOG_LEVEL', 'PORT']) {
      assert.ok(name in env, `gatehouse sets ${name}`);
    }
    for (const [name, value] of Object.entries(env)) {
      assert.equal(typeof value, 'string', `${name} is quoted (YAML would hand compose a ${typeof value})`);
    }
  });

  it('sets values loadConfig() accepts', () => {
    const config = loadConfig(env as Record<string, string>);
    assert.equal(config.kek?.length, 32, 'KEK is 32 bytes');
    assert.ok(config.cookieKeys?.length && config.cookieKeys.every((k) => k.length >= 32), 'COOKIE_KEYS ≥ 32 characters each');
    assert.ok(config.databaseUrl && config.redisUrl && config.smtpUrl);
  });

  it('points DATABASE_URL, REDIS_URL and SMTP_URL at the services, with matching credentials', () => {
    const db = new URL(String(env.DATABASE_URL));
    assert.equal(serviceAt(db.href), services.postgres);
    const pg = environmentOf(services.postgres);
    assert.equal(decodeURIComponent(db.username), pg.POSTGRES_USER);
    assert.equal(decodeURIComponent(db.password), pg.POSTGRES_PASSWORD);
    assert.equal(db.pathname.slice(1), pg.POSTGRES_DB);
    assert.equal(serviceAt(String(env.REDIS_URL)), services.redis);
    assert.equal(new URL(String(env.SMTP_URL)).port, '1025');
  });

  it('publishes PORT, and ISSUER uses the published port', () => {
    const port = String(env.PORT);
    const mappings = (gatehouse.ports ?? []).map((p) => String(p).split(':'));
    const published = mappings.find((m) => m[m.length - 1] === port);
    assert.ok(published, `a port mapping to container port ${port}`);
    const issuer = new URL(String(env.ISSUER));
    assert.equal(issuer.port || (issuer.protocol === 'https:' ? '443' : '80'), published[published.length - 2]);
  });

  it('runs Redis as a database: noeviction, nothing evicted', () => {
    const command = services.redis.command ?? [];
    const args = Array.isArray(command) ? command : command.split(/\s+/);
    const policies = args.flatMap((a, i) => (a === '--maxmemory-policy' ? [args[i + 1]] : []));
    assert.deepEqual(policies, ['noeviction']);
  });

  it('marks every secret as a placeholder to change', () => {
    assert.match(Buffer.from(String(env.KEK), 'base64').toString('utf8'), /change-me/);
    for (const key of String(env.COOKIE_KEYS).split(',')) assert.match(key, /change-me/);
    assert.match(decodeURIComponent(new URL(String(env.DATABASE_URL)).password), /change-me/);
    assert.match(String(environmentOf(services.postgres).POSTGRES_PASSWORD), /change-me/);
    assert.match(read('docker-compose.yml'), /change me/i);
  });
});

describe('Dockerfile', () => {
  const everyStage = dockerfileInstructions(read('Dockerfile'));
  // The image is its last stage; an earlier one (the build stage) only hands it files.
  const instructions = everyStage.slice(everyStage.findLastIndex((i) => i.keyword === 'FROM'));
  const all = (keyword: string) => instructions.filter((i) => i.keyword === keyword);
  const pkg = JSON.parse(read('package.json')) as { engines: { node: string }; scripts: Record<string, string>; dependencies: Record<string, string> };

  it('is based on the Node major version package.json requires (24)', () => {
    const requiredMajor = pkg.engines.node.match(/\d+/)?.[0];
    assert.equal(requiredMajor, '24');
    const from = all('FROM').at(-1)?.args.replace(/--platform=\S+\s+/, '').split(/\s+/)[0] ?? '';
    assert.match(from, new RegExp(`^node:${requiredMajor}(?:[.-]|$)`), `final image ${from}`);
  });

  it('installs production dependencies from the lockfile', () => {
    const copiesLockfile = all('COPY').some((c) => c.args.includes('package-lock.json'));
    assert.ok(copiesLockfile, 'package-lock.json is copied');
    assert.ok(all('RUN').some((r) => /\bnpm ci\b.*--omit=dev/.test(r.args)), 'npm ci --omit=dev');
    // npm ci's postinstall applies patches/ (patch-package), so they must be in the image before it.
    const index = (test: (i: { keyword: string; args: string }) => boolean) => instructions.findIndex(test);
    const copiesPatches = index((i) => i.keyword === 'COPY' && /^patches\/?\s/.test(i.args));
    assert.ok(copiesPatches >= 0 && copiesPatches < index((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args)), 'patches/ is copied before npm ci');
    assert.ok(pkg.dependencies['patch-package'], 'patch-package is a production dependency (npm ci --omit=dev runs it)');
  });

  it('copies every directory the server and the CLI import, each to its own path', () => {
    // `COPY a b ./` copies the *contents* of a and b into ./, so each directory needs its own COPY.
    const copied = new Map<string, string>();
    for (const { args } of all('COPY')) {
      const parts = args.split(/\s+/).filter((p) => !p.startsWith('--'));
      const dest = parts.pop()!;
      for (const src of parts) copied.set(src.replace(/\/$/, ''), dest.replace(/\/$/, ''));
    }
    for (const dir of importedTopLevelDirectories(['server/main.ts', 'server/cli.ts'])) {
      assert.ok(copied.has(dir), `${dir}/ is imported but not copied`);
      assert.match(copied.get(dir)!, new RegExp(`^(?:\\./|/app/)${dir}$`), `${dir}/ is copied to ./${dir}`);
    }
  });

  it('takes the compiled server (build/) from a stage that runs the build `npm start` runs first', () => {
    assert.equal(pkg.scripts.prestart, 'node scripts/build.ts');
    const start = everyStage.findIndex((i) => i.keyword === 'FROM' && /\bAS\s+\S+/i.test(i.args));
    assert.ok(start >= 0, 'a named build stage');
    const builder = everyStage[start].args.match(/\bAS\s+(\S+)/i)![1];
    const stage = everyStage.slice(start, everyStage.findIndex((i, n) => n > start && i.keyword === 'FROM'));
    assert.ok(stage.some((i) => i.keyword === 'RUN' && i.args === 'node scripts/build.ts'), 'the build stage runs scripts/build.ts');
    const copied = new Set(stage.filter((i) => i.keyword === 'COPY').flatMap((i) => i.args.split(/\s+/).slice(0, -1)));
    for (const file of ['tsconfig.json', 'tsconfig.build.json', 'scripts', ...importedTopLevelDirectories(['server/main.ts'])]) {
      assert.ok(copied.has(file), `the build stage copies ${file}`);
    }
    assert.ok(all('COPY').some((c) => c.args === `--from=${builder} /app/build ./build`), 'the image copies build/ from it');
  });

  it('runs node build/server/main.js directly (SIGTERM reaches it; what `npm start` runs) as a non-root user on port 3000', () => {
    // `exec` replaces npm's `sh -c`, so npm's SIGTERM reaches node; the image needs no npm at all.
    // Two malloc arenas unless the operator says otherwise (the image sets the same with ENV).
    assert.match(
      pkg.scripts.start,
      /^MALLOC_ARENA_MAX=\$\{MALLOC_ARENA_MAX:-2\} GLIBC_TUNABLES=\$\{GLIBC_TUNABLES:-\S+\} exec node (--[\w-]+(=\S+)? )*build\/server\/main\.js$/,
      'npm start execs node build/server/main.js (V8 flags allowed)',
    );
    assert.deepEqual(JSON.parse(all('CMD').at(-1)?.args ?? 'null'), pkg.scripts.start.replace(/^.*exec /, '').split(' '), 'CMD is the exec form of npm start');
    assert.ok(all('ENV').some((e) => /MALLOC_ARENA_MAX=2/.test(e.args)), 'the image runs with two malloc arenas');
    const tunables = /GLIBC_TUNABLES=\$\{GLIBC_TUNABLES:-(\S+)\}/.exec(pkg.scripts.start)?.[1];
    assert.ok(all('ENV').some((e) => e.args === `GLIBC_TUNABLES=${tunables}`), 'the image sets the malloc tunables npm start sets');
    const user = all('USER').at(-1)?.args;
    assert.ok(user && !/^(root|0)(:|$)/.test(user), `USER ${user}`);
    assert.ok(instructions.findIndex((i) => i.keyword === 'USER') < instructions.findIndex((i) => i.keyword === 'CMD'));
    assert.ok(all('EXPOSE').some((e) => e.args.split(/\s+/).includes('3000')), 'EXPOSE 3000');
  });

  describe('HEALTHCHECK', function () {
    this.timeout(30_000);
    const healthcheck = all('HEALTHCHECK').at(-1)?.args ?? '';
    const command = JSON.parse(healthcheck.match(/\bCMD\s+(\[.*\])\s*$/)?.[1] ?? 'null') as string[] | null;

    /** Runs the HEALTHCHECK command (with this Node) against a stub answering `status` on /healthz. */
    async function probe(status: number | 'closed'): Promise<{ code: number | null; paths: string[] }> {
      const paths: string[] = [];
      const server = http.createServer((req, res) => {
        paths.push(req.url ?? '');
        res.statusCode = req.url === '/healthz' ? (status as number) : 404;
        res.end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      if (status === 'closed') await new Promise((resolve) => server.close(resolve));
      try {
        assert.ok(command, 'HEALTHCHECK uses the exec form: CMD ["node", ...]');
        assert.equal(command[0], 'node');
        const code = await new Promise<number | null>((resolve) => {
          const child = execFile(process.execPath, command.slice(1), { env: { ...process.env, PORT: String(port) }, timeout: 20_000 }, () =>
            resolve(child.exitCode),
          );
        });
        return { code, paths };
      } finally {
        if (server.listening) await new Promise((resolve) => server.close(resolve));
      }
    }

    it('succeeds when /healthz answers 200', async () => {
      const { code, paths } = await probe(200);
      assert.deepEqual(paths, ['/healthz']);
      assert.equal(code, 0);
    });

    it('fails when /healthz answers 503', async () => {
      assert.equal((await probe(503)).code, 1);
    });

    it('fails when nothing listens', async () => {
      assert.equal((await probe('closed')).code, 1);
    });
  });
});
