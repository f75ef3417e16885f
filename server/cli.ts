#!/usr/bin/env node
// `gatehouse` — what an operator does on the box. Every command has --help (server/cli-commands.ts).
// When a server runs in DATA_DIR it holds the embedded store, so the CLI hands the command line to
// it over the local control channel and prints its answer; otherwise the CLI opens the store itself.
import { loadConfig, type Config } from './config.ts';
import { openDatabase, type Database } from '../adapters/database.ts';
import { createKnexApplicationStore } from '../adapters/application-store.ts';
import { createKnexAuditLog } from '../adapters/audit-store.ts';
import { createClientRevocation } from '../adapters/client-grant-index.ts';
import { openCliProviderState } from '../adapters/cli-provider-state.ts';
import { createApplications } from '../accounts/applications.ts';
import { runCli, type CliServices } from './cli-commands.ts';
import { sendControlCommand } from './control-channel.ts';

async function withStore<T>(use: (db: Database, services: CliServices) => Promise<T>): Promise<T> {
  const config: Config = loadConfig();
  // Operator commands (audit verify over a big log) may run long: no serving statement limit.
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, statementTimeoutMs: 0 });
  const state = openCliProviderState(db.knex, config);
  try {
    const revocation = createClientRevocation({ knex: db.knex, stateAdapter: state.stateAdapter });
    const audit = createKnexAuditLog(db.knex, { background: false });
    const applications = createApplications({
      store: createKnexApplicationStore(db.knex),
      audit,
      announce: state.announce,
      retire: async (clientId) => {
        await revocation.revokeClient(clientId);
      },
    });
    const result = await use(db, { applications });
    await audit.flush(); // link its events into the chain before this process exits
    return result;
  } finally {
    await state.close();
    await db.close();
  }
}

const code = await runCli(process.argv.slice(2), {
  io: { out: (text) => console.log(text), err: (text) => console.error(text) },
  withStore,
  forward: (argv) => sendControlCommand(loadConfig().dataDir, argv),
});
process.exitCode = code;
