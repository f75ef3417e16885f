// The `gatehouse` commands, runnable in two places: in the CLI process (cli.ts) with a store it
// opens itself, and inside the running server, which executes command lines the CLI hands it over
// its local control channel (server/control-channel.ts) with the store it already holds. Output
// goes through `io`, so both places print the same thing. Every command has --help.
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig } from './config.ts';
import { migrate, StoreBusyError, type Database } from '../adapters/database.ts';
import { createKnexAccountStore } from '../adapters/account-store.ts';
import { createKnexAuditLog } from '../adapters/audit-store.ts';
import { createSecretBox } from '../adapters/secret-box.ts';
import { createSigningKeyStore } from '../adapters/signing-key-store.ts';
import { createPasswordHasher } from '../accounts/password-hasher.ts';
import { createSignUp } from '../accounts/sign-up.ts';
import { DomainError, ValidationError } from '../accounts/errors.ts';
import { APPLICATION_KINDS, OIDC_SCOPES, WEB_AUTH_METHODS, type Application, type ApplicationKind } from '../accounts/application.ts';
import { SERVICE_PERMISSIONS, type ApplicationPatch, type Applications } from '../accounts/applications.ts';
import { resolveSecrets } from './local-secrets.ts';
import { announceKeyRotation, rotateSigningKeys } from './signing-keys.ts';
import { listOutboxMessages, showOutboxMessage } from '../adapters/mail-outbox.ts';
import { approvePending, assertKeyFileFree, createDevice, DEFAULT_KEY_FILE, DeviceRequestError, enrolDevice, loadKeys, saveKeys } from './authenticator-device.ts';
import type { ControlResult } from './control-channel.ts';

export class UsageError extends Error {}

export type CliIo = { out(text: string): void; err(text: string): void };
/** What commands use besides the raw store (built by the CLI, or lent by the running server). */
export type CliServices = {
  applications: Applications;
  /** Set when a running server executes the command (control channel): re-read its signing keys and announce them. */
  signingKeysRotated?: () => Promise<void>;
};
export type CliEnvironment = {
  io: CliIo;
  /** Runs `use` with an open store and the services built on it. */
  withStore<T>(use: (db: Database, services: CliServices) => Promise<T>): Promise<T>;
  /** Hands the command line to the server running in DATA_DIR; undefined when none answers (CLI side only). */
  forward?(argv: string[]): Promise<ControlResult | undefined>;
};

type Values = Record<string, unknown>;
type Outcome = { output: unknown; exitCode?: number };

type Command = {
  summary: string;
  usage: string;
  options: ParseArgsConfig['options'];
  /** Takes positional arguments (an id). */
  positionals?: boolean;
} & (
  | { database?: true; run(values: Values, db: Database, services: CliServices, positionals: string[]): Promise<unknown | Outcome> }
  /** Never opens the store (the authenticator device talks HTTP; mail reads the outbox files): runs in the CLI process. */
  | { database: false; run(values: Values, positionals: string[]): Promise<unknown> }
);

const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'];

const OUTCOME: unique symbol = Symbol('outcome');
const exitWith = (output: unknown, exitCode: number) => ({ output, exitCode, [OUTCOME]: true as const });

/** The flags that set an application's fields (create and update share them). */
const APP_FIELD_OPTIONS = {
  name: { type: 'string' },
  'logo-uri': { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  'post-logout-redirect-uri': { type: 'string', multiple: true },
  'web-origin': { type: 'string', multiple: true },
  'backchannel-logout-uri': { type: 'string' },
  'backchannel-logout-session-required': { type: 'boolean' },
  scope: { type: 'string' },
  'first-party': { type: 'boolean' },
  disabled: { type: 'boolean' },
  'auth-method': { type: 'string' },
  'jwks-uri': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

const APP_FIELD_USAGE = `  --name NAME                       shown on consent and sign-in pages (default: the client id)
  --redirect-uri URI ...            exact redirect URIs (https; http only for localhost/loopback;
                                    native apps: loopback or a reverse-domain private-use scheme)
  --post-logout-redirect-uri URI ...
  --web-origin ORIGIN ...           origins allowed to call the token endpoint etc. from a browser (CORS)
  --backchannel-logout-uri URI      OIDC Back-Channel Logout endpoint (https; localhost allowed)
  --backchannel-logout-session-required   put sid into logout tokens
  --scope "S ..."                   allowed scopes (interactive apps: ${OIDC_SCOPES.join(' ')};
                                    a service: API permissions such as users:read)
  --first-party                     skips the consent page (for the owning organization's people)
  --disabled                        sign-ins and token requests are refused until re-enabled
  --logo-uri URI  --auth-method ${WEB_AUTH_METHODS.join('|')}  --jwks-uri URI
  Booleans take --no-… to turn them off (update); an empty value ('') clears a URI or list.`;

/** The fields given on the command line, and only those (update changes nothing else). */
function fieldsFrom(v: Values): ApplicationPatch {
  const list = (name: string) => {
    const given = v[name] as string[] | undefined;
    return given === undefined ? undefined : given.filter((x) => x !== '');
  };
  const uri = (name: string) => (v[name] === undefined ? undefined : (v[name] as string) || null);
  const patch: ApplicationPatch = {
    name: v.name as string | undefined,
    logoUri: uri('logo-uri'),
    redirectUris: list('redirect-uri'),
    postLogoutRedirectUris: list('post-logout-redirect-uri'),
    webOrigins: list('web-origin'),
    backchannelLogoutUri: uri('backchannel-logout-uri'),
    backchannelLogoutSessionRequired: v['backchannel-logout-session-required'] as boolean | undefined,
    scopes: v.scope === undefined ? undefined : String(v.scope).split(/\s+/).filter(Boolean),
    firstParty: v['first-party'] as boolean | undefined,
    disabled: v.disabled as boolean | undefined,
    tokenEndpointAuthMethod: v['auth-method'] as ApplicationPatch['tokenEndpointAuthMethod'],
    jwksUri: uri('jwks-uri'),
  };
  if (patch.tokenEndpointAuthMethod !== undefined && !(WEB_AUTH_METHODS as readonly string[]).includes(patch.tokenEndpointAuthMethod)) {
    throw new UsageError(`--auth-method must be one of ${WEB_AUTH_METHODS.join(', ')}`);
  }
  return patch;
}

const appJson = (app: Application, clientSecret?: string | null) => ({
  ...app,
  createdAt: app.createdAt.toISOString(),
  ...(clientSecret ? { clientSecret } : {}),
});

function idOf(v: Values, positionals: string[], usage: string): string {
  const given = [...positionals, ...(typeof v['client-id'] === 'string' ? [v['client-id']] : [])];
  if (given.length !== 1) throw new UsageError(`give one client id\n\nUsage: ${usage}`);
  return given[0];
}

const operator = { operator: true as const };

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

  'clients list': {
    summary: 'List registered applications (every organization\'s and the operator\'s)',
    usage: 'gatehouse clients list [--organization ID]\n  Prints client id, kind, name, organization and whether it is disabled.',
    options: { organization: { type: 'string' } },
    async run(v, _db, { applications }) {
      const all = await applications.list(operator, { limit: 10_000 });
      const org = v.organization as string | undefined;
      return all
        .filter((a) => org === undefined || a.organizationId === org)
        .map((a) => ({ clientId: a.clientId, kind: a.kind, name: a.name, organizationId: a.organizationId, disabled: a.disabled }));
    },
  },

  'clients show': {
    summary: 'Print one application (never its secret)',
    usage: 'gatehouse clients show CLIENT_ID',
    options: { 'client-id': { type: 'string' } },
    positionals: true,
    async run(v, _db, { applications }, positionals) {
      return appJson(await applications.get(operator, idOf(v, positionals, this.usage)));
    },
  },

  'clients create': {
    summary: 'Register an application (relying party or service); prints it with its secret, once',
    usage: `gatehouse clients create --client-id ID [--kind ${APPLICATION_KINDS.join('|')}] [fields] [--client-secret S] [--organization ID]
  --kind web (default): confidential, code + PKCE; spa and native: public clients (PKCE, no secret);
  service: client credentials with API permissions as --scope (needs --organization to call /api/v1).
  Legacy flags: --public means --kind spa; --grant-types client_credentials means --kind service.
  A secret is generated when omitted (web, service); it is printed once and stored as a digest.
  An existing client id is refused (exit 1): change a client with "gatehouse clients update".
${APP_FIELD_USAGE}`,
    options: {
      'client-id': { type: 'string' },
      kind: { type: 'string' },
      'client-secret': { type: 'string' },
      organization: { type: 'string' },
      public: { type: 'boolean' },
      'grant-types': { type: 'string' },
      ...APP_FIELD_OPTIONS,
    },
    async run(v, db, { applications }) {
      const clientId = required(v, 'client-id');
      const kind = kindOf(v);
      const organizationId = (v.organization as string | undefined) ?? null;
      if (organizationId !== null) {
        const exists = await db.knex('organizations').where({ id: organizationId, parent_id: null }).first('id').catch(() => undefined);
        if (!exists) throw new UsageError(`--organization ${organizationId} is not a root organization`);
      }
      const created = await applications.create(operator, {
        kind,
        clientId,
        organizationId,
        clientSecret: v['client-secret'] as string | undefined,
        ...fieldsFrom(v),
        name: (v.name as string | undefined) ?? clientId,
      });
      return appJson(created.app, created.clientSecret); // the only time the plain secret is shown
    },
  },

  'clients update': {
    summary: 'Change an application: only the flags given change',
    usage: `gatehouse clients update CLIENT_ID [fields]
  Every other field keeps its value. The kind and the secret do not change here (see rotate-secret).
${APP_FIELD_USAGE}`,
    options: { 'client-id': { type: 'string' }, ...APP_FIELD_OPTIONS },
    positionals: true,
    async run(v, _db, { applications }, positionals) {
      const id = idOf(v, positionals, this.usage);
      const patch = fieldsFrom(v);
      if (Object.values(patch).every((x) => x === undefined)) throw new UsageError('nothing to change: give at least one field flag (see --help)');
      return appJson(await applications.update(operator, id, patch));
    },
  },

  'clients delete': {
    summary: 'Delete an application; its grants, tokens, consents and sessions\' entries go with it',
    usage: 'gatehouse clients delete CLIENT_ID',
    options: { 'client-id': { type: 'string' } },
    positionals: true,
    async run(v, _db, { applications }, positionals) {
      const id = idOf(v, positionals, this.usage);
      await applications.remove(operator, id);
      return { deleted: id };
    },
  },

  'clients rotate-secret': {
    summary: 'Replace a confidential application\'s secret; prints the new one, once (the old one stops working)',
    usage: 'gatehouse clients rotate-secret CLIENT_ID',
    options: { 'client-id': { type: 'string' } },
    positionals: true,
    async run(v, _db, { applications }, positionals) {
      const rotated = await applications.rotateSecret(operator, idOf(v, positionals, this.usage));
      return appJson(rotated.app, rotated.clientSecret);
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
    usage: 'gatehouse keys rotate\n  Running servers sign with the new keys within 30 s, at once with Redis (they are told).',
    options: {},
    async run(_v, db, services) {
      const config = loadConfig();
      const store = createSigningKeyStore(db.knex, createSecretBox(resolveSecrets(config).kek));
      const added = await rotateSigningKeys(store);
      // Run by a server (control channel): it re-reads its keys now and tells the others. From the
      // CLI's own process: Redis tells every server; without Redis they find the keys within 30 s.
      const announced = services.signingKeysRotated ? (await services.signingKeysRotated(), true) : await announceKeyRotation(config);
      return { added, announced };
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
      const result = await createKnexAuditLog(db.knex, { background: false }).verify();
      const output = { ok: result.breaks.length === 0, chains: result.chains, events: result.events, firstBroken: result.breaks[0] ?? null, breaks: result.breaks };
      return exitWith(output, result.breaks.length > 0 ? 1 : 0);
    },
  },
};

function kindOf(v: Values): ApplicationKind {
  const grantTypes = v['grant-types'] === undefined ? undefined : String(v['grant-types']).split(',').map((g) => g.trim()).filter(Boolean);
  const unknown = (grantTypes ?? []).filter((g) => !GRANT_TYPES.includes(g));
  if (unknown.length) throw new UsageError(`unknown grant type ${unknown.join(', ')} (allowed: ${GRANT_TYPES.join(', ')})`);
  if (v.public && grantTypes?.includes('client_credentials')) throw new UsageError('a --public client cannot use client_credentials');
  const implied: ApplicationKind | undefined = grantTypes?.includes('client_credentials') ? 'service' : v.public ? 'spa' : undefined;
  if (v.kind === undefined) return implied ?? 'web';
  const kind = String(v.kind);
  if (!(APPLICATION_KINDS as readonly string[]).includes(kind)) throw new UsageError(`--kind must be one of ${APPLICATION_KINDS.join(', ')}`);
  if (implied && implied !== kind) throw new UsageError(`--kind ${kind} contradicts ${implied === 'service' ? '--grant-types client_credentials' : '--public'}`);
  return kind as ApplicationKind;
}

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

function required(values: Values, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

export function help() {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(21)} ${c.summary}`);
  return `Usage: gatehouse <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "gatehouse <command> --help" for a command's options.`;
}

/** The command names (tests check --help lists each). */
export const COMMAND_NAMES = () => Object.keys(commands);

/** Runs one command line; returns the exit code. Errors are printed as one `gatehouse: …` line each. */
export async function runCli(argv: string[], env: CliEnvironment): Promise<number> {
  try {
    return await dispatch(argv, env);
  } catch (err) {
    env.io.err(errorText(err));
    return 1;
  }
}

function errorText(err: unknown): string {
  if (err instanceof ValidationError) return `gatehouse: ${err.violations.map((v) => `${v.field}: ${v.message}`).join('\n  ')}`;
  if (err instanceof UsageError || err instanceof DeviceRequestError || err instanceof ConfigError || err instanceof StoreBusyError || err instanceof DomainError) {
    return `gatehouse: ${err.message}`;
  }
  return `gatehouse: ${(err as Error)?.message ?? err}`;
}

async function dispatch(argv: string[], env: CliEnvironment): Promise<number> {
  const { io } = env;
  const name = [argv.slice(0, 2).join(' '), argv[0]].find((n) => n && n in commands);
  if (!name) {
    if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
      io.out(help());
      return 0;
    }
    throw new UsageError(`unknown command "${argv.slice(0, 2).join(' ')}"\n\n${help()}`);
  }
  const command = commands[name];
  const rest = argv.slice(name.split(' ').length);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`${command.summary}\n\nUsage: ${command.usage}`);
    return 0;
  }
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      options: command.options,
      strict: true,
      allowPositionals: command.database === false || command.positionals === true,
      allowNegative: true,
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\nUsage: ${command.usage}`);
  }
  if (command.database === false) {
    const output = await command.run(values, positionals);
    // Text meant for a person (an email) prints as is; everything else as JSON.
    io.out(typeof output === 'string' ? output : JSON.stringify(output, null, 2));
    return 0;
  }
  // A server running in DATA_DIR holds the store: it runs the command itself (control channel).
  const forwarded = await env.forward?.(argv);
  if (forwarded) {
    if (forwarded.stdout) io.out(forwarded.stdout.replace(/\n$/, ''));
    if (forwarded.stderr) io.err(forwarded.stderr.replace(/\n$/, ''));
    return forwarded.exitCode;
  }
  const result = await env.withStore(async (db, services) => {
    // Every command works on an up-to-date schema; `migrate` reports what it applied itself.
    if (name !== 'migrate') await migrate(db.knex);
    return command.run(values, db, services, positionals);
  });
  const outcome = result && typeof result === 'object' && OUTCOME in result ? (result as unknown as Outcome) : { output: result };
  io.out(JSON.stringify(outcome.output, null, 2));
  return outcome.exitCode ?? 0;
}

/** Collects a command's output (the server side of the control channel). */
export async function runCliCaptured(argv: string[], env: Omit<CliEnvironment, 'io' | 'forward'>): Promise<ControlResult> {
  let stdout = '';
  let stderr = '';
  const exitCode = await runCli(argv, { ...env, io: { out: (t) => (stdout += `${t}\n`), err: (t) => (stderr += `${t}\n`) } });
  return { exitCode, stdout, stderr };
}
