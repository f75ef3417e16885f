// The only reader of process.env. Parsed with zod once at start; a bad value stops the
// process with one line naming the variable (see main.ts), never a stack trace.
import fs from 'node:fs';
import os from 'node:os';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const url = (protocols: string[]) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, { message: `must be a URL (${protocols.join(' or ')})` });

const port = z
  .string()
  .regex(/^\d{1,5}$/, { message: 'must be a port number (0-65535)' })
  .transform(Number)
  .refine((n) => n <= 65535, { message: 'must be a port number (0-65535)' });

/** OIDC Discovery §4.3 / RFC 8414 §2: the issuer has no query or fragment (oidc-provider refuses one at start). */
const issuerUrl = url(['http:', 'https:']).refine((v) => !v.includes('?') && !v.includes('#'), {
  message: 'must not have a query or fragment',
});

const base64Key = z.string().refine((v) => Buffer.from(v, 'base64').length === 32, {
  message: 'must be 32 bytes, base64-encoded (openssl rand -base64 32)',
});

const envSchema = z.object({
  PORT: port.default(3000),
  ISSUER: issuerUrl.optional(),
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  // Seed nodes of a Redis Cluster, instead of REDIS_URL.
  REDIS_CLUSTER: z
    .string()
    .transform((v) => v.split(',').map((u) => u.trim()).filter(Boolean))
    .pipe(z.array(url(['redis:', 'rediss:'])).min(1, { message: 'must list at least one redis://host:port seed node' }))
    .optional(),
  WEB_CONCURRENCY: z
    .string()
    .regex(/^\d{1,3}$/, { message: 'must be a whole number of worker processes (1 or more)' })
    .transform(Number)
    .refine((n) => n >= 1, { message: 'must be a whole number of worker processes (1 or more)' })
    .optional(),
  SIGNING_KEY_ROTATION_DAYS: z
    .string()
    .regex(/^\d{1,5}$/, { message: 'must be a whole number of days (1 or more)' })
    .transform(Number)
    .refine((n) => n >= 1, { message: 'must be a whole number of days (1 or more)' })
    .default(90),
  DATA_DIR: z.string().min(1).default('./data'),
  KEK: base64Key.optional(),
  COOKIE_KEYS: z
    .string()
    .transform((v) => v.split(',').map((k) => k.trim()).filter(Boolean))
    .refine((keys) => keys.length > 0 && keys.every((k) => k.length >= 32), {
      message: 'must be a comma-separated list of secrets of at least 32 characters',
    })
    .optional(),
  TRUST_PROXY: bool.default(false),
  ALLOW_POST_AUTHORIZATION: bool.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  MAIL_FROM: z.string().email().optional(),
  FEDERATION_ALLOW_HTTP_ISSUERS: bool.default(false),
  METRICS_PORT: port.optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  METRICS_TOKEN: z.string().min(32, { message: 'must be at least 32 characters (openssl rand -base64 32)' }).optional(),
  THEME_DIR: z.string().refine((v) => fs.statSync(v, { throwIfNoEntry: false })?.isDirectory() === true, { message: 'must be an existing directory' }).optional(),
});

export type Config = {
  port: number;
  issuer: string;
  databaseUrl?: string;
  redisUrl?: string;
  /** Redis Cluster seed nodes (REDIS_CLUSTER); exclusive with redisUrl. */
  redisCluster?: string[];
  /** Worker processes `npm start` runs: one per core with PostgreSQL + Redis, otherwise 1. */
  workers: number;
  /** New signing keys are generated when the active ones are this old. */
  signingKeyRotationDays: number;
  dataDir: string;
  /** Key-encryption key for secrets at rest; undefined → generated into dataDir. */
  kek?: Buffer;
  /** Cookie signing keys; undefined → generated into dataDir. */
  cookieKeys?: string[];
  trustProxy: boolean;
  /** OIDC Core §3.1.2.1 allows POST to the authorization endpoint; oidc-provider 9 needs SameSite=None cookies for it. */
  allowPostAuthorization: boolean;
  logLevel: string;
  smtpUrl?: string;
  mailFrom: string;
  /** Accept http:// issuer URLs for external IdPs (development and tests only; production IdPs use https). */
  federationAllowHttpIssuers: boolean;
  /** Prometheus /metrics listens here, never on the public port; undefined → not served. */
  metricsPort?: number;
  /** Address the metrics listener binds; loopback by default so only the host (or a sidecar) can scrape. */
  metricsHost: string;
  /** When set, a scrape must send `Authorization: Bearer <token>`. */
  metricsToken?: string;
  /** Operator's theme: templates here override views/templates by name; theme.css is served after the base CSS. */
  themeDir?: string;
};

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`invalid configuration: ${issue.path.join('.')} ${issue.message}`);
  }
  const e = parsed.data;
  if (e.REDIS_URL && e.REDIS_CLUSTER) throw new ConfigError('invalid configuration: set REDIS_URL or REDIS_CLUSTER, not both');
  const shared = Boolean(e.DATABASE_URL && (e.REDIS_URL || e.REDIS_CLUSTER));
  // Several processes need stores they can share: PGlite is one process's database, and without
  // Redis the client cache and key reloads have no channel between processes.
  if (e.WEB_CONCURRENCY && e.WEB_CONCURRENCY > 1 && !shared) {
    throw new ConfigError('invalid configuration: WEB_CONCURRENCY above 1 needs DATABASE_URL and REDIS_URL (or REDIS_CLUSTER); the embedded store is one process');
  }
  const issuer = (e.ISSUER ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  return {
    port: e.PORT,
    issuer,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisCluster: e.REDIS_CLUSTER,
    workers: e.WEB_CONCURRENCY ?? (shared ? os.availableParallelism() : 1),
    signingKeyRotationDays: e.SIGNING_KEY_ROTATION_DAYS,
    dataDir: e.DATA_DIR,
    kek: e.KEK ? Buffer.from(e.KEK, 'base64') : undefined,
    cookieKeys: e.COOKIE_KEYS,
    trustProxy: e.TRUST_PROXY,
    allowPostAuthorization: e.ALLOW_POST_AUTHORIZATION,
    logLevel: e.LOG_LEVEL,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM ?? `no-reply@${new URL(issuer).hostname}`,
    federationAllowHttpIssuers: e.FEDERATION_ALLOW_HTTP_ISSUERS,
    metricsPort: e.METRICS_PORT,
    metricsHost: e.METRICS_HOST,
    metricsToken: e.METRICS_TOKEN,
    themeDir: e.THEME_DIR,
  };
}

/** The variables config.ts reads, for docs and the docker-compose check. */
export const CONFIG_VARIABLES = Object.keys(envSchema.shape);
