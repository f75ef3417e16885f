// One serving process: the whole server when it runs alone, or one cluster worker. It drains on
// SIGTERM/SIGINT: stop accepting, let in-flight requests finish (up to SHUTDOWN_GRACE_MS), close
// the stores, exit 0.
import http from 'node:http';
import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.ts';
import { createGatehouse, type Gatehouse } from './app.ts';
import { AggregatorRegistry } from 'prom-client';
import { listenMetrics } from './metrics-server.ts';
import { runCliCaptured } from './cli-commands.ts';
import { startControlChannel } from './control-channel.ts';

/** In-flight requests get this long to finish after SIGTERM before their connections are cut. */
export const SHUTDOWN_GRACE_MS = 10_000;

export async function serve(config: Config): Promise<void> {
  let handle: http.RequestListener = (_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
    res.end('{"error":"temporarily_unavailable","error_description":"Gatehouse is starting"}');
  };
  const server = http.createServer((req, res) => handle(req, res));
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, () => {
        server.off('error', reject);
        resolve();
      });
    });
  // Alone, the port comes first: a busy port fails at once, before the embedded store's first
  // start spends many seconds creating its database (requests meanwhile get 503). A cluster
  // worker listens only when ready, since the primary hands connections to every listening worker.
  if (!cluster.isWorker) await listen();
  let gatehouse: Gatehouse;
  try {
    // Workers share a database the primary already migrated and keyed (see primary.ts).
    gatehouse = await createGatehouse(config, { migrate: !cluster.isWorker });
  } catch (err) {
    server.close();
    throw err;
  }
  handle = gatehouse.listener;
  if (cluster.isWorker) {
    try {
      await listen();
    } catch (err) {
      await gatehouse.close().catch(() => {});
      throw err;
    }
  }
  gatehouse.logger.info(
    { issuer: config.issuer, port: (server.address() as AddressInfo).port, database: gatehouse.db.kind, providerState: gatehouse.redis ? (config.redisCluster ? 'redis cluster' : 'redis') : 'sql' },
    `Gatehouse listening on ${config.issuer}`,
  );

  // On a cluster the primary serves METRICS_PORT, summing every worker's registry (primary.ts).
  if (cluster.isWorker) {
    AggregatorRegistry.setRegistries([gatehouse.metrics.registry]);
    new AggregatorRegistry(); // installs the worker's answer to the primary's metrics requests
  }
  const metricsServer = config.metricsPort === undefined || cluster.isWorker
    ? undefined
    : await listenMetrics(gatehouse.metrics, { port: config.metricsPort, host: config.metricsHost, token: config.metricsToken });
  if (metricsServer) gatehouse.logger.info({ host: metricsServer.address.address, port: metricsServer.address.port }, 'metrics listening');

  // The CLI hands its commands to this process over DATA_DIR/control.sock (the embedded store is
  // ours while we run). Cluster workers run on PostgreSQL, which the CLI opens itself.
  const control = cluster.isWorker
    ? undefined
    : await startControlChannel({
        dataDir: config.dataDir,
        execute: (argv) => {
          gatehouse.logger.info({ command: argv.slice(0, 2).join(' ') }, 'CLI command on the control channel');
          return runCliCaptured(argv, {
            withStore: (use) => use(gatehouse.db, { applications: gatehouse.applications, signingKeysRotated: () => gatehouse.signingKeys.announce() }),
          });
        },
        onError: (err) => gatehouse.logger.error({ err }, 'control channel command failed'),
      });

  let stopping = false;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    gatehouse.logger.info({ signal: reason }, 'draining');
    const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
    metricsServer?.server.close();
    await control?.close();
    const closed = new Promise<void>((resolve) => server.close(() => resolve())); // stop accepting; in-flight requests finish
    server.closeIdleConnections();
    await closed;
    clearTimeout(force);
    await gatehouse.close();
    gatehouse.logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  if (cluster.isWorker) {
    // A primary that died without telling us leaves nobody to replace or stop this worker.
    process.on('disconnect', () => void stop('primary gone'));
    process.send!({ type: 'ready' });
  }
}
