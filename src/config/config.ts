import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import proxyAddr from 'proxy-addr';
import { EMAIL_PATTERN } from '../schemas/common.js';
import { DEFAULTS as ALL_DEFAULTS } from './defaults.js';

/**
 * Server configuration: every setting, its environment variable and its
 * default, in one place. Validated once at boot; a bad value stops the start
 * with a message naming the variable.
 */
export interface Config {
  /** `postgres://…` or an SQLite file (`sqlite:PATH` or a path). */
  databaseUrl: string;
  /** The `iss` claim, with a trailing slash; default http://localhost:PORT/. */
  issuer: string;
  /** Encrypts signing keys at rest and signs internal tickets. */
  secret: string;
  host: string;
  port: number;
  tlsCert?: string;
  tlsKey?: string;
  /** Where `tessera dev` keeps its database and generated secret. */
  dataDir: string;
  logLevel: string;
  /** Largest accepted request body, bytes. */
  bodyLimit: number;
  /** SMTP server for email (MFA codes, notifications); none: the outbox. */
  smtpUrl?: string;
  smtpFrom: string;
  /** HTTP gateway for text messages; none: the outbox. */
  smsWebhookUrl?: string;
  smsWebhookSecret: string;
  /** Reverse proxies (IPs, CIDRs) whose X-Forwarded-For is believed; none: the connecting address is the user's. */
  trustProxy: string[];
  /** Redis for attack-protection counters shared by several processes; none: in memory. */
  redisUrl?: string;
  /** Prefix of Tessera's Redis keys. */
  redisPrefix: string;
  /** Who receives attack-protection notifications (suspicious IPs, breached passwords). */
  adminEmails: string[];
  /** The Have I Been Pwned corpus: a directory of range files or one SHA1:COUNT file; none: the shipped list. */
  breachedPasswords?: string;
  /** How long an exact retry of a refresh-token rotation gets the same successor again, ms (0: never). */
  refreshRetryWindowMs: number;
  /** The most two clocks may differ: a token issued further in the future than this is refused, ms. */
  clockSkewMs: number;
  /** PostgreSQL: how long opening a connection may take, ms. */
  dbConnectTimeoutMs: number;
  /** PostgreSQL: how long a query may wait for a free pooled connection, ms. */
  dbAcquireTimeoutMs: number;
  /** PostgreSQL: how long one statement may run (server and client side), ms. */
  dbStatementTimeoutMs: number;
  /** PostgreSQL: the hot queries as named prepared statements; false behind a pooler that cannot keep them. */
  dbPreparedStatements: boolean;
  /** How long a request's database work may last in all; past it, or once the client is gone, no further query runs. */
  requestTimeoutMs: number;
  /** Admission control: a password login expected to wait longer than this for the hash pool is refused at once (503), ms; 0 turns it off. */
  admissionBudgetMs: number;
  /** How many nice levels below the event loop the helper threads run (cli/helper-threads.ts); 0: the same. */
  helperThreadsNice: number;
  /** Redis: how long one command may take before the login is refused with a 503, ms. */
  redisCommandTimeoutMs: number;
  /** Redis: how long opening a connection may take, ms. */
  redisConnectTimeoutMs: number;
  /** The Retry-After (seconds) sent with a 503 while the database or Redis is unreachable, or while shutting down. */
  retryAfterSeconds: number;
  /** Audit events and outbox messages are deleted after this many days (Auth0 keeps logs for a set time). */
  logRetentionDays: number;
  /** How often `serve` purges expired rows, minutes; 0: never (run `tessera purge` instead). */
  purgeIntervalMinutes: number;
}

/** The settings' defaults (defaults.ts, `DEFAULTS.settings`). */
export const DEFAULTS = ALL_DEFAULTS.settings;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/**
 * Reads the configuration from the environment (every value checked, an
 * error naming the setting). The secret is checked where it is needed, by
 * `assertSecret` (createRuntime); `tessera dev` passes one of its own.
 */
export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const dataDir = env.TESSERA_DATA_DIR ?? DEFAULTS.dataDir;
  const port = parsePort(env.PORT);
  const issuer = normaliseIssuer(env.TESSERA_ISSUER ?? `http://localhost:${port}/`);
  const secret = env.TESSERA_SECRET ?? '';
  const tlsCert = env.TESSERA_TLS_CERT || undefined;
  const tlsKey = env.TESSERA_TLS_KEY || undefined;
  if (Boolean(tlsCert) !== Boolean(tlsKey)) {
    throw new ConfigError(
      'TESSERA_TLS_CERT and TESSERA_TLS_KEY must be set together (PEM files) to serve HTTPS',
    );
  }
  if (env.TESSERA_SMS_WEBHOOK_URL && !env.TESSERA_SMS_WEBHOOK_SECRET) {
    throw new ConfigError(
      'TESSERA_SMS_WEBHOOK_SECRET must be set with TESSERA_SMS_WEBHOOK_URL: the gateway checks it',
    );
  }
  if (env.TESSERA_DATABASE_URL) parseDatabaseUrl(env.TESSERA_DATABASE_URL);
  const config: Config = {
    databaseUrl: env.TESSERA_DATABASE_URL || `sqlite:${join(dataDir, 'tessera.db')}`,
    issuer,
    secret,
    host: env.HOST ?? DEFAULTS.host,
    port,
    tlsCert,
    tlsKey,
    dataDir,
    logLevel: parseLogLevel(env.TESSERA_LOG_LEVEL),
    bodyLimit: DEFAULTS.bodyLimit,
    smtpUrl: env.TESSERA_SMTP_URL || undefined,
    smtpFrom: env.TESSERA_SMTP_FROM ?? DEFAULTS.smtpFrom,
    smsWebhookUrl: env.TESSERA_SMS_WEBHOOK_URL || undefined,
    smsWebhookSecret: env.TESSERA_SMS_WEBHOOK_SECRET ?? '',
    trustProxy: parseTrustProxy(env.TESSERA_TRUST_PROXY),
    redisUrl: env.TESSERA_REDIS_URL || undefined,
    redisPrefix: env.TESSERA_REDIS_PREFIX || DEFAULTS.redisPrefix,
    adminEmails: parseAdminEmails(env.TESSERA_ADMIN_EMAILS),
    breachedPasswords: env.TESSERA_BREACHED_PASSWORDS || undefined,
    refreshRetryWindowMs:
      parseSeconds(
        'TESSERA_REFRESH_RETRY_WINDOW',
        env.TESSERA_REFRESH_RETRY_WINDOW,
        DEFAULTS.refreshRetryWindowSec,
      ) * 1000,
    clockSkewMs: parseSeconds('TESSERA_CLOCK_SKEW', env.TESSERA_CLOCK_SKEW, DEFAULTS.clockSkewSec) * 1000,
    dbConnectTimeoutMs: parseMs(env, 'TESSERA_DB_CONNECT_TIMEOUT_MS', DEFAULTS.dbConnectTimeoutMs),
    dbAcquireTimeoutMs: parseMs(env, 'TESSERA_DB_ACQUIRE_TIMEOUT_MS', DEFAULTS.dbAcquireTimeoutMs),
    dbStatementTimeoutMs: parseMs(env, 'TESSERA_DB_STATEMENT_TIMEOUT_MS', DEFAULTS.dbStatementTimeoutMs),
    dbPreparedStatements: parseBoolean(env, 'TESSERA_DB_PREPARED_STATEMENTS', DEFAULTS.dbPreparedStatements),
    requestTimeoutMs: parseMs(env, 'TESSERA_REQUEST_TIMEOUT_MS', DEFAULTS.requestTimeoutMs),
    admissionBudgetMs: parseInteger(
      env,
      'TESSERA_ADMISSION_BUDGET_MS',
      DEFAULTS.admissionBudgetMs,
      0,
      600_000,
    ),
    helperThreadsNice: parseInteger(env, 'TESSERA_HELPER_THREADS_NICE', DEFAULTS.helperThreadsNice, 0, 19),
    redisCommandTimeoutMs: parseMs(env, 'TESSERA_REDIS_COMMAND_TIMEOUT_MS', DEFAULTS.redisCommandTimeoutMs),
    redisConnectTimeoutMs: parseMs(env, 'TESSERA_REDIS_CONNECT_TIMEOUT_MS', DEFAULTS.redisConnectTimeoutMs),
    retryAfterSeconds: parseInteger(env, 'TESSERA_RETRY_AFTER_S', DEFAULTS.retryAfterSeconds, 1, 3600),
    logRetentionDays: parseInteger(env, 'TESSERA_LOG_RETENTION_DAYS', DEFAULTS.logRetentionDays, 1, 36500),
    purgeIntervalMinutes: parseInteger(
      env,
      'TESSERA_PURGE_INTERVAL_MINUTES',
      DEFAULTS.purgeIntervalMinutes,
      0,
      10080,
    ),
    ...overrides,
  };
  return config;
}

/** Where a database URL points: PostgreSQL (the URL) or an SQLite file (its path, or `:memory:`). */
export type DatabaseTarget = { kind: 'postgres'; url: string } | { kind: 'sqlite'; file: string };

const DATABASE_FORMS =
  'postgres://USER@HOST:5432/DB (or postgresql://…), sqlite:PATH, a file path such as ./tessera.db or /var/lib/tessera/tessera.db, or :memory:';

/**
 * Reads TESSERA_DATABASE_URL in one of its documented forms and refuses
 * anything else, naming them: a typo or another database's URL must not
 * become an SQLite file of that name. A bare file path must look like one
 * (a `/`, or a `.db`, `.sqlite`, `.sqlite3` name).
 */
export function parseDatabaseUrl(v: string): DatabaseTarget {
  const refuse = (why: string) => new ConfigError(`TESSERA_DATABASE_URL ${why}; use ${DATABASE_FORMS}`);
  if (/^postgres(ql)?:\/\//i.test(v)) {
    try {
      new URL(v);
    } catch {
      throw refuse(`"${redactUrl(v)}" is not a valid PostgreSQL URL`);
    }
    return { kind: 'postgres', url: v };
  }
  if (v === ':memory:') return { kind: 'sqlite', file: v };
  if (/^sqlite:/i.test(v)) {
    const file = v.replace(/^sqlite:(\/\/)?/i, '');
    if (!file) throw refuse('"sqlite:" names no file');
    return { kind: 'sqlite', file };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(v);
  if (scheme && scheme[1]!.length > 1) {
    throw refuse(`"${redactUrl(v)}" is a ${scheme[1]} URL, which Tessera does not support`);
  }
  if (/[/\\]/.test(v) || /\.(db|sqlite3?)$/i.test(v)) return { kind: 'sqlite', file: v };
  throw refuse(`"${v}" is neither a URL nor a file path`);
}

/** A URL without its password, for messages. */
export function redactUrl(v: string): string {
  return v.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

const listOf = (v: string | undefined) => (v ?? '').split(/[\s,]+/).filter(Boolean);

function parseTrustProxy(v: string | undefined): string[] {
  const list = listOf(v);
  for (const e of list) {
    if (!isProxyRange(e)) {
      throw new ConfigError(
        `TESSERA_TRUST_PROXY must list IP addresses or CIDR ranges (e.g. 10.0.0.0/8, ::1), got "${e}"`,
      );
    }
  }
  return list;
}

/**
 * An address or CIDR range as proxy-addr, which matches the proxies
 * (http/client-ip.ts), reads it; its range names (`loopback`…) and legacy
 * IPv4 spellings are refused.
 */
function isProxyRange(entry: string): boolean {
  if (isIP(entry.split('/')[0]!) === 0) return false;
  try {
    proxyAddr.compile([entry]);
    return true;
  } catch {
    return false;
  }
}

function parseAdminEmails(v: string | undefined): string[] {
  const list = listOf(v);
  for (const e of list) {
    if (!EMAIL_PATTERN.test(e))
      throw new ConfigError(`TESSERA_ADMIN_EMAILS must list email addresses, got "${e}"`);
  }
  return list;
}

/** Fails unless the secret is long enough to derive keys from. */
export function assertSecret(secret: string): void {
  if (!secret) {
    throw new ConfigError(
      'TESSERA_SECRET is not set: it encrypts the signing keys. Generate one with `openssl rand -base64 48` and keep it safe',
    );
  }
  if (secret.length < 32) throw new ConfigError('TESSERA_SECRET is too short: use at least 32 characters');
}

/** pino's levels, most severe first; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function parseLogLevel(v: string | undefined): string {
  if (v === undefined || v.trim() === '') return DEFAULTS.logLevel;
  const level = v.trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    throw new ConfigError(`TESSERA_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${v}"`);
  return level;
}

function parseSeconds(setting: string, v: string | undefined, fallback: number): number {
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 3600)
    throw new ConfigError(`${setting} must be a whole number of seconds from 0 to 3600, got "${v}"`);
  return n;
}

/** A duration in milliseconds: a whole number from 1 to 10 minutes. */
function parseMs(env: Env, name: string, fallback: number): number {
  return parseInteger(env, name, fallback, 1, 600_000);
}

function parseInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${v}"`);
  return n;
}

function parseBoolean(env: Env, name: string, fallback: boolean): boolean {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new ConfigError(`${name} must be true or false, got "${v}"`);
}

function parsePort(v: string | undefined): number {
  if (v === undefined || v === '') return DEFAULTS.port;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new ConfigError(`PORT must be a port number, got "${v}"`);
  return n;
}

function normaliseIssuer(v: string): string {
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new ConfigError(
      `TESSERA_ISSUER must be an absolute URL such as https://auth.example.com/, got "${v}"`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`TESSERA_ISSUER must be an http(s) URL, got "${v}"`);
  }
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

/** Reads a PEM file named by a setting, with an error naming the setting. */
export function readPem(setting: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ConfigError(`${setting}: cannot read ${path}: ${(e as Error).message}`);
  }
}
