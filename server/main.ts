// `npm start`: load config, start the server, drain on SIGTERM.
import http from 'node:http';
import { ConfigError, loadConfig } from './config.ts';
import { StoreBusyError } from '../adapters/database.ts';
import { createGatehouse } from './app.ts';
import { listenMetrics } from './metrics-server.ts';

/** In-flight requests get this long to finish after SIGTERM before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

async function main() {
  const config = loadConfig();
  const gatehouse = await createGatehouse(config);
  const server = http.createServer(gatehouse.app.callback());
  await new Promise<void>((resolve) => server.listen(config.port, resolve));
  gatehouse.logger.info(
    { issuer: config.issuer, port: config.port, database: gatehouse.db.kind, providerState: gatehouse.redis ? 'redis' : 'sql' },
    `Gatehouse listening on ${config.issuer}`,
  );
  const metricsServer = config.metricsPort === undefined
    ? undefined
    : await listenMetrics(gatehouse.metrics, { port: config.metricsPort, host: config.metricsHost, token: config.metricsToken });
  if (metricsServer) gatehouse.logger.info({ host: metricsServer.address.address, port: metricsServer.address.port }, 'metrics listening');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    gatehouse.logger.info({ signal }, 'draining');
    const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
    metricsServer?.server.close();
    server.close(); // stop accepting; in-flight requests finish
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.on('close', resolve));
    clearTimeout(force);
    await gatehouse.close();
    gatehouse.logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof StoreBusyError) {
    console.error(`gatehouse: ${err.message}`);
  } else {
    console.error(`gatehouse: failed to start: ${err?.message ?? err}`);
  }
  process.exit(1);
});
