// `npm start`: load config, then either serve in this process (embedded store, or WEB_CONCURRENCY=1)
// or run as the cluster primary with one worker per core (PostgreSQL + Redis). Every start-up
// failure ends as one line on stderr and exit status 1.
import cluster from 'node:cluster';
import { loadConfig, type Config } from './config.ts';
import { prepareDataDir, usesDataDir } from './data-dir.ts';
import { createLogger } from './logger.ts';
import { runPrimary } from './primary.ts';
import { serve } from './serve.ts';
import { describeStartupError } from './startup-errors.ts';

let config: Config | undefined;

function printFailure(line: string) {
  console.error(`gatehouse: ${line}`);
}

async function main() {
  config = loadConfig();
  if (cluster.isPrimary && usesDataDir(config)) prepareDataDir(config.dataDir);
  if (config.workers > 1 && cluster.isPrimary) {
    process.exit(await runPrimary(config, createLogger(config.logLevel), printFailure));
  }
  await serve(config);
}

main().catch((err) => {
  const line = describeStartupError(err, config?.port);
  if (cluster.isWorker) {
    // The primary decides: the one line when nothing serves yet, a log entry and a replacement otherwise.
    process.send!({ type: 'fatal', message: line }, () => process.exit(1));
    return;
  }
  printFailure(line);
  process.exit(1);
});
