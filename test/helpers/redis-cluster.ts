// A real three-master Redis Cluster on loopback ports for the suites that must run on one (the
// adapter contract and the relying-party journey): redis-server ×3 with --cluster-enabled in a
// temp dir, joined by `redis-cli --cluster create`, stopped (by pid) and removed after. One cluster
// per test process, shared by the suites that ask for it, started on first use.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export type RedisCluster = { seeds: string[]; ports: number[] };

/** Why the cluster suites can't run here, or undefined when they can. */
export function redisClusterUnavailable(): string | undefined {
  for (const tool of ['redis-server', 'redis-cli']) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0) return `${tool} not installed`;
  }
  return undefined;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** Three ports whose cluster bus ports (+10000) are free too. */
async function freePorts(): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < 3) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (!ports.includes(port) && (await portFree(port)) && (await portFree(port + 10_000))) ports.push(port);
  }
  return ports;
}

function redisCli(args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (status) => resolve({ status, output }));
  });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`redis cluster: ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

let shared: { cluster: Promise<RedisCluster>; users: number; stop: () => Promise<void> } | undefined;

async function launch(): Promise<{ cluster: RedisCluster; stop: () => Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-redis-cluster-'));
  const ports = await freePorts();
  const servers: ChildProcess[] = ports.map((port) =>
    spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
      { cwd: dir, stdio: 'ignore' },
    ),
  );
  const stop = async () => {
    await Promise.all(
      servers.map((server) =>
        server.exitCode !== null ? undefined : new Promise<void>((resolve) => {
          server.once('exit', () => resolve());
          server.kill('SIGTERM');
        }),
      ),
    );
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // If the test process dies first, don't leave the servers running.
  process.once('exit', () => servers.forEach((s) => s.exitCode === null && s.kill('SIGKILL')));
  try {
    for (const port of ports) await until(`port ${port} answering`, async () => (await redisCli(['-p', String(port), 'ping'])).output.includes('PONG'));
    const created = await redisCli(['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.output}`);
    for (const port of ports) {
      await until(`cluster_state:ok on ${port}`, async () => (await redisCli(['-p', String(port), 'cluster', 'info'])).output.includes('cluster_state:ok'));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { cluster: { seeds: ports.map((p) => `redis://127.0.0.1:${p}`), ports }, stop };
}

/** Starts the cluster (or joins the one running) for a suite; call `releaseRedisCluster` in its after hook. */
export function useRedisCluster(): Promise<RedisCluster> {
  if (!shared) {
    const launched = launch();
    shared = { cluster: launched.then((l) => l.cluster), users: 0, stop: async () => (await launched).stop() };
  }
  shared.users++;
  return shared.cluster;
}

export async function releaseRedisCluster(): Promise<void> {
  if (!shared || --shared.users > 0) return;
  const { stop } = shared;
  shared = undefined;
  await stop();
}
