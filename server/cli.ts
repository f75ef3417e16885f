#!/usr/bin/env node
// `gatehouse` — what an operator does on the box. Every command has --help.
// Against the embedded store the CLI refuses to run while a server holds it (see adapters/database.ts).
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig } from './config.ts';
import { migrate, openDatabase, StoreBusyError, type Database } from '../adapters/database.ts';
import { createClientStore, generateClientSecret } from '../adapters/client-store.ts';
import { createKnexAccountStore } from '../adapters/account-store.ts';
import { createKnexAuditLog } from '../adapters/audit-store.ts';
import { createSecretBox } from '../adapters/secret-box.ts';
import { createSigningKeyStore } from '../adapters/signing-key-store.ts';
import { createPasswordHasher } from '../accounts/password-hasher.ts';
import { createSignUp } from '../accounts/sign-up.ts';
import { DomainError, ValidationError } from '../accounts/errors.ts';
import { resolveSecrets } from './local-secrets.ts';
import { rotateSigningKeys } from './signing-keys.ts';
import { SCOPES } from './provider.ts';
import { listOutboxMessages, showOutboxMessage } from '../adapters/mail-outbox.ts';
import { approvePending, assertKeyFileFree, createDevice, DEFAULT_KEY_FILE, DeviceRequestError, enrolDevice, loadKeys, saveKeys } from './authenticator-device.ts';

class UsageError extends Error {}

type Command = {
  summary: string;
  usage: string;
  options: ParseArgsConfig['options'];
} & (
  | { database?: true; run(values: Record<string, unknown>, db: Database): Promise<unknown> }
  /** Talks HTTP to a server (the reference authenticator device): never opens the database, takes positionals. */
  | { database: false; run(values: Record<string, unknown>, positionals: string[]): Promise<unknown> }
);

const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'];

const commands: Record<string, Command> = {
  migrate: {
    summary: 'Apply pending database migrations',
    usage: 'gatehouse migrate',
    options: {},
    async run(_v, db) {
      const applied = await migrate(db.knex);
      return { applied };
    },
  },

  'clients create': {
    summary: 'Register an OIDC client (relying party or connected app); prints it as JSON',
    usage: `gatehouse clients create --client-id ID --redirect-uri URI [--redirect-uri URI ...]
      [--client-secret S] [--grant-types ${GRANT_TYPES.join(',')}] [--public] [--first-party]
      [--post-logout-redirect-uri URI ...] [--scope "openid profile email"] [--name NAME]
  A secret is generated when omitted (confidential clients); it is printed once and stored hashed.`,
    options: {
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      'grant-types': { type: 'string' },
      public: { type: 'boolean' },
      'first-party': { type: 'boolean' },
      'post-logout-redirect-uri': { type: 'string', multiple: true },
      scope: { type: 'string' },
      name: { type: 'string' },
    },
    async run(v, db) {
      const clientId = required(v, 'client-id');
      if (!/^[A-Za-z0-9._~-]{1,200}$/.test(clientId)) throw new UsageError('--client-id may use letters, digits and . _ ~ - only');
      const grantTypes = String(v['grant-types'] ?? 'authorization_code,refresh_token').split(',').map((g) => g.trim()).filter(Boolean);
      const unknown = grantTypes.filter((g) => !GRANT_TYPES.includes(g));
      if (unknown.length) throw new UsageError(`unknown grant type ${unknown.join(', ')} (allowed: ${GRANT_TYPES.join(', ')})`);
      const isPublic = Boolean(v.public);
      if (isPublic && grantTypes.includes('client_credentials')) throw new UsageError('a --public client cannot use client_credentials');
      const redirectUris = (v['redirect-uri'] as string[] | undefined) ?? [];
      if (grantTypes.includes('authorization_code') && redirectUris.length === 0) {
        throw new UsageError('--redirect-uri is required for authorization_code clients');
      }
      for (const uri of [...redirectUris, ...((v['post-logout-redirect-uri'] as string[] | undefined) ?? [])]) checkUrl(uri);
      const scopes = String(v.scope ?? 'openid profile email').split(/\s+/).filter(Boolean);
      const badScope = scopes.find((s) => !SCOPES.includes(s));
      if (badScope) throw new UsageError(`unknown scope ${badScope} (allowed: ${SCOPES.join(' ')})`);
      const secret = isPublic ? undefined : ((v['client-secret'] as string | undefined) ?? generateClientSecret());
      if (secret !== undefined && secret.length < 32) throw new UsageError('--client-secret must be at least 32 characters');
      const metadata = {
        client_id: clientId,
        ...(secret ? { client_secret: secret } : {}),
        client_name: (v.name as string | undefined) ?? clientId,
        redirect_uris: redirectUris,
        post_logout_redirect_uris: (v['post-logout-redirect-uri'] as string[] | undefined) ?? [],
        grant_types: grantTypes,
        response_types: grantTypes.includes('authorization_code') ? ['code'] : [],
        token_endpoint_auth_method: isPublic ? 'none' : 'client_secret_basic',
        scope: scopes.join(' '),
        first_party: Boolean(v['first-party']),
      };
      await migrate(db.knex);
      await createClientStore(db.knex).create(metadata);
      return metadata; // the only time the plain secret is shown
    },
  },

  'users create': {
    summary: 'Create a root organization and its owner (sign-up rules apply)',
    usage: 'gatehouse users create --username U --email E --password P --company C [--name NAME]',
    options: {
      username: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      company: { type: 'string' },
      name: { type: 'string' },
    },
    async run(v, db) {
      await migrate(db.knex);
      const audit = createKnexAuditLog(db.knex, { background: false });
      const signUp = createSignUp({
        accounts: createKnexAccountStore(db.knex),
        hasher: createPasswordHasher(),
        audit,
      });
      const { account, organization } = await signUp({
        username: required(v, 'username'),
        email: required(v, 'email'),
        password: required(v, 'password'),
        company: required(v, 'company'),
        name: (v.name as string | undefined) ?? null,
      });
      await audit.flush(); // link its events into the chain before this process exits
      return { id: account.id, username: account.username, email: account.email, organization };
    },
  },

  'keys rotate': {
    summary: 'Add new signing keys; old ones stay published until their tokens expire',
    usage: 'gatehouse keys rotate\n  Running servers pick the new keys up when they restart.',
    options: {},
    async run(_v, db) {
      await migrate(db.knex);
      const config = loadConfig();
      const store = createSigningKeyStore(db.knex, createSecretBox(resolveSecrets(config).kek));
      return { added: await rotateSigningKeys(store) };
    },
  },

  'audit verify': {
    summary: 'Check the audit log\'s hash chains; reports the first broken link of each chain',
    usage: `gatehouse audit verify
  Recomputes every event's hash and its link to the previous event of its organization's chain, and
  compares each chain with its recorded head. Exits 1 and names the first broken event when the log
  was changed, had events removed or inserted outside Gatehouse.`,
    options: {},
    async run(_v, db) {
      await migrate(db.knex);
      const result = await createKnexAuditLog(db.knex, { background: false }).verify();
      if (result.breaks.length > 0) process.exitCode = 1;
      return { ok: result.breaks.length === 0, chains: result.chains, events: result.events, firstBroken: result.breaks[0] ?? null, breaks: result.breaks };
    },
  },
};

// The reference Gatehouse Authenticator device (push approval): a person's second factor, not an
// operator tool, so these commands only talk HTTP to the server and work while it runs.
Object.assign(commands, {
  'authenticator enroll': {
    summary: 'Register this computer as a Gatehouse Authenticator device (push approval)',
    usage: `gatehouse authenticator enroll <code | gatehouse-authenticator://… URI> [--server URL] [--name NAME] [--key-file FILE]
  The code is shown when you set up "Gatehouse Authenticator app" (valid 10 minutes, once). A new P-256 key
  is generated and saved with mode 0600 in FILE (default ${DEFAULT_KEY_FILE}); only its public half is sent.`,
    options: { server: { type: 'string' }, name: { type: 'string' }, 'key-file': { type: 'string' } },
    database: false,
    async run(v, positionals) {
      if (positionals.length !== 1) throw new UsageError('give the enrolment code (or the QR code URI) once');
      const keyFile = (v['key-file'] as string | undefined) ?? DEFAULT_KEY_FILE;
      await assertKeyFileFree(keyFile);
      const keys = await enrolDevice({ code: positionals[0], server: v.server as string | undefined, name: v.name as string | undefined });
      await saveKeys(keyFile, keys);
      return { deviceId: keys.deviceId, name: keys.name, server: keys.server, keyFile, next: 'Click "Done" on the setup page.' };
    },
  },
  'authenticator approve': {
    summary: 'Answer a waiting sign-in request on this Gatehouse Authenticator device',
    usage: `gatehouse authenticator approve [--number NN] [--deny] [--id ID] [--wait SECONDS] [--key-file FILE]
  Lists the waiting requests (application, IP address, time, numbers) and approves the one offering NN, the
  number shown on the sign-in page (a wrong number denies it). --deny refuses the request (or every waiting
  one). --wait keeps asking up to SECONDS for a request to arrive. Without --number a terminal is asked.`,
    options: {
      number: { type: 'string' },
      deny: { type: 'boolean' },
      id: { type: 'string' },
      wait: { type: 'string' },
      'key-file': { type: 'string' },
    },
    database: false,
    async run(v, positionals) {
      if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
      const number = v.number === undefined ? undefined : Number(v.number);
      if (number !== undefined && !/^\d{1,3}$/.test(String(v.number))) throw new UsageError('--number must be the number shown on the sign-in page');
      const wait = v.wait === undefined ? 0 : Number(v.wait);
      if (!Number.isFinite(wait) || wait < 0 || wait > 600) throw new UsageError('--wait must be 0 to 600 seconds');
      const device = createDevice(await loadKeys((v['key-file'] as string | undefined) ?? DEFAULT_KEY_FILE));
      const results = await approvePending(device, {
        deny: Boolean(v.deny),
        number,
        id: v.id as string | undefined,
        wait,
        print: (line) => console.error(line),
        askNumber: process.stdin.isTTY ? askNumber : undefined,
      });
      return { answered: results };
    },
  },
} satisfies Record<string, Command>);

// The embedded default's outbox: mail is written as .eml files instead of sent. Reading it never
// opens the database, so it works while the server runs.
Object.assign(commands, {
  'mail list': {
    summary: 'List the emails in the outbox (embedded default, no SMTP_URL), oldest first',
    usage: 'gatehouse mail list\n  Prints id, date, recipient and subject of each message under $DATA_DIR/outbox.',
    options: {},
    database: false,
    async run(_v, positionals) {
      if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
      return listOutboxMessages(path.join(loadConfig().dataDir, 'outbox'));
    },
  },
  'mail show': {
    summary: 'Print one email of the outbox (headers and text, with its links and codes)',
    usage: 'gatehouse mail show ID\n  ID as printed by "gatehouse mail list".',
    options: {},
    database: false,
    async run(_v, positionals) {
      if (positionals.length !== 1) throw new UsageError('give the id of one message (see "gatehouse mail list")');
      const shown = await showOutboxMessage(path.join(loadConfig().dataDir, 'outbox'), positionals[0]);
      if (shown === undefined) throw new UsageError(`no message ${positionals[0]} in the outbox`);
      return shown;
    },
  },
} satisfies Record<string, Command>);

async function askNumber(): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question('Number shown on the sign-in page: ');
  } finally {
    rl.close();
  }
}

function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function checkUrl(uri: string) {
  try {
    const url = new URL(uri);
    if (!['http:', 'https:'].includes(url.protocol) && !/^[a-z][a-z0-9+.-]*\.[a-z]/.test(url.protocol)) throw new Error();
    if (url.hash) throw new UsageError(`${uri}: redirect URIs must not contain a fragment`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${uri} is not a valid URL`);
  }
}

function help() {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(21)} ${c.summary}`);
  return `Usage: gatehouse <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "gatehouse <command> --help" for a command's options.`;
}

async function main(argv: string[]) {
  const name = [argv.slice(0, 2).join(' '), argv[0]].find((n) => n && n in commands);
  if (!name) {
    if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) return console.log(help());
    throw new UsageError(`unknown command "${argv.slice(0, 2).join(' ')}"\n\n${help()}`);
  }
  const command = commands[name];
  const rest = argv.slice(name.split(' ').length);
  if (rest.includes('--help') || rest.includes('-h')) return console.log(`${command.summary}\n\nUsage: ${command.usage}`);
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, options: command.options, strict: true, allowPositionals: command.database === false }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\nUsage: ${command.usage}`);
  }
  if (command.database === false) {
    const output = await command.run(values, positionals);
    // Text meant for a person (an email) prints as is; everything else as JSON.
    console.log(typeof output === 'string' ? output : JSON.stringify(output, null, 2));
    return;
  }
  const config = loadConfig();
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const result = await command.run(values, db);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).catch((err) => {
  if (err instanceof ValidationError) {
    console.error(`gatehouse: ${err.violations.map((v) => `${v.field}: ${v.message}`).join('\n  ')}`);
  } else if (err instanceof UsageError || err instanceof DeviceRequestError || err instanceof ConfigError || err instanceof StoreBusyError || err instanceof DomainError) {
    console.error(`gatehouse: ${err.message}`);
  } else {
    console.error(`gatehouse: ${err?.message ?? err}`);
  }
  process.exitCode = 1;
});

