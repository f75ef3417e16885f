// The cluster primary (`npm start` with PostgreSQL + Redis): prepares what the workers share, runs
// one worker per core, replaces a worker that dies (backing off when they keep dying), and on
// SIGTERM drains every worker and exits 0. It serves no requests itself.
import cluster, { type Worker } from 'node:cluster';
import net from 'node:net';
import type { Config } from './config.ts';
import { prepareSharedState } from './app.ts';
import type { Logger } from './logger.ts';
import { SHUTDOWN_GRACE_MS } from './serve.ts';
import { AggregatorRegistry } from 'prom-client';
import { listenMetrics } from './metrics-server.ts';

/** A worker that lived shorter than this counts as a crash loop and the next one waits longer. */
const STABLE_WORKER_MS = 30_000;
const FIRST_RESTART_DELAY_MS = 250;
const MAX_RESTART_DELAY_MS = 30_000;

type WorkerMessage = { type: 'ready' } | { type: 'fatal'; message: string };

/**
 * Resolves with the exit status once the primary is done: 0 after a drain, 1 when the workers
 * could not start (their one-line reason is printed once, by the primary).
 */
export async function runPrimary(config: Config, logger: Logger, printFailure: (line: string) => void): Promise<number> {
  // A busy port is reported at once, not after every worker has opened its stores.
  await probePort(config.port);
  // Before forking: generated secrets, migrations and signing keys exist once, so workers never
  // race to create them (they skip migrations and find the keys).
  await prepareSharedState(config);

  // METRICS_PORT: one scrape answers for the whole cluster, each worker's counters summed
  // (prom-client asks every worker over the cluster IPC channel).
  let metricsServer: Awaited<ReturnType<typeof listenMetrics>> | undefined;
  if (config.metricsPort !== undefined) {
    const aggregator = new AggregatorRegistry();
    const registry = { contentType: aggregator.contentType, metrics: () => aggregator.clusterMetrics() };
    metricsServer = await listenMetrics({ registry }, { port: config.metricsPort, host: config.metricsHost, token: config.metricsToken });
    logger.info({ host: metricsServer.address.address, port: metricsServer.address.port }, 'metrics listening');
  }

  return new Promise<number>((resolve) => {
    let anyReady = false;
    let stopping = false;
    let quickDeaths = 0;
    const startedAt = new Map<Worker, number>();
    const pending = new Set<NodeJS.Timeout>();

    const fork = () => {
      const worker = cluster.fork();
      startedAt.set(worker, Date.now());
      worker.on('message', (message: WorkerMessage) => {
        if (message?.type === 'ready') {
          if (!anyReady) logger.info({ workers: config.workers }, `Gatehouse running ${config.workers} workers`);
          anyReady = true;
        } else if (message?.type === 'fatal' && !anyReady && !stopping) {
          // Nobody serves yet: this is the server's start-up failure (busy port …), not a crash.
          printFailure(message.message);
          stopAll(1);
        } else if (message?.type === 'fatal') {
          logger.error({ worker: worker.process.pid, reason: message.message }, 'worker failed to start');
        }
      });
    };

    const live = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => Boolean(w));
    let exitCode = 0;
    const stopAll = (code: number) => {
      if (stopping) return;
      stopping = true;
      exitCode = code;
      metricsServer?.server.close();
      for (const timer of pending) clearTimeout(timer);
      for (const worker of live()) worker.process.kill('SIGTERM');
      setTimeout(() => {
        for (const worker of live()) worker.process.kill('SIGKILL');
      }, SHUTDOWN_GRACE_MS + 5_000).unref();
      if (live().length === 0) resolve(exitCode);
    };

    cluster.on('exit', (worker, code, signal) => {
      const lived = Date.now() - (startedAt.get(worker) ?? Date.now());
      startedAt.delete(worker);
      if (stopping) {
        if (live().length === 0) resolve(exitCode);
        return;
      }
      if (!anyReady) {
        // Died before anyone served, without saying why (a fatal message stops everything first).
        printFailure(`a worker exited (${signal ?? `code ${code}`}) before serving; see the log lines above`);
        stopAll(1);
        if (live().length === 0) resolve(exitCode);
        return;
      }
      quickDeaths = lived < STABLE_WORKER_MS ? quickDeaths + 1 : 0;
      const delay = quickDeaths === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** (quickDeaths - 1));
      logger.warn({ worker: worker.process.pid, code, signal, restartInMs: delay }, 'worker exited; starting a replacement');
      const timer = setTimeout(() => {
        pending.delete(timer);
        if (!stopping) fork();
      }, delay);
      pending.add(timer);
    });

    process.on('SIGTERM', () => {
      logger.info({ signal: 'SIGTERM' }, 'draining workers');
      stopAll(0);
    });
    process.on('SIGINT', () => {
      logger.info({ signal: 'SIGINT' }, 'draining workers');
      stopAll(0);
    });

    for (let i = 0; i < config.workers; i++) fork();
  });
}

/** Rejects with the listen error (EADDRINUSE, EACCES) when the port cannot be bound; the workers bind it for real. */
function probePort(port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(port, () => probe.close(() => resolve()));
  });
}
