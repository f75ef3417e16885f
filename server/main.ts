// `npm start`: load config, start the server, drain on SIGTERM.
import http from 'node:http';
import { ConfigError, loadConfig } from './config.ts';
import { StoreBusyError } from '../adapters/database.ts';
import { createGatehouse } from './app.ts';
import { listenMetrics } from './metrics-server.ts';
import { runCliCaptured } from './cli-commands.ts';
import { startControlChannel } from './control-channel.ts';

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

  // The CLI hands its commands to this process over DATA_DIR/control.sock (the store is ours while we run).
  const control = await startControlChannel({
    dataDir: config.dataDir,
    execute: (argv) => {
      gatehouse.logger.info({ command: argv.slice(0, 2).join(' ') }, 'CLI command on the control channel');
      return runCliCaptured(argv, { withStore: (use) => use(gatehouse.db, { applications: gatehouse.applications }) });
    },
    onError: (err) => gatehouse.logger.error({ err }, 'control channel command failed'),
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    gatehouse.logger.info({ signal }, 'draining');
    const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
    metricsServer?.server.close();
    await control.close();
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
