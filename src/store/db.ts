import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  type SqliteDatabase,
  type SqliteDriver,
} from 'kysely';
import pg from 'pg';
import { LRUCache } from 'lru-cache';
import pino, { type Logger } from 'pino';
import { type Config, DEFAULTS, parseDatabaseUrl, redactUrl } from '../config/config.js';
import { DEFAULTS as ALL_DEFAULTS } from '../config/defaults.js';
import { registerSqlite } from './compiled.js';
import { drainWrites, registerWriteGroup } from './write-group.js';
import { withStoreErrors } from './errors.js';
import { migrationProvider } from './migrations/index.js';
import { unbounded } from './deadline.js';
import { ownSchemaView } from './own-schema.js';
import { createPgPool } from './pg-pool.js';
import { sealSettingsWith } from './repos/settings.js';
import { settingsBox } from './sealed-settings.js';
import { UnavailableError } from './unavailable.js';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: DialectName;
  /** The PostgreSQL schema the store lives in, when not the default search_path. */
  schema?: string;
  /** Where it is, for messages: the URL without its password, or the SQLite file. */
  where?: string;
  close(): Promise<void>;
}

// PostgreSQL returns int8 as a string to stay exact; our bigints are epoch
// milliseconds and counters, far below 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

export interface StoreOptions {
  /** PostgreSQL: the search_path, which isolates tests. */
  schema?: string;
  poolSize?: number;
  /** PostgreSQL timeouts, ms (defaults: config.ts DEFAULTS). */
  connectTimeoutMs?: number;
  acquireTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** PostgreSQL: the hot queries as named prepared statements (pg-pool.ts); default true. */
  prepared?: boolean;
  /** Where connection failures are reported; default: warnings to stderr. */
  log?: Logger;
  /** TESSERA_SECRET: seals the secret values of settings (sealed-settings.ts); none: written plain. */
  secret?: string;
}

/** The store options a configuration asks for. */
export function storeOptions(
  config: Pick<
    Config,
    'dbConnectTimeoutMs' | 'dbAcquireTimeoutMs' | 'dbStatementTimeoutMs' | 'dbPreparedStatements' | 'secret'
  >,
  log?: Logger,
): StoreOptions {
  return {
    connectTimeoutMs: config.dbConnectTimeoutMs,
    acquireTimeoutMs: config.dbAcquireTimeoutMs,
    statementTimeoutMs: config.dbStatementTimeoutMs,
    prepared: config.dbPreparedStatements,
    log,
    secret: config.secret,
  };
}

/**
 * Opens the database named by a URL: `postgres://…` / `postgresql://…` for
 * PostgreSQL, `sqlite:PATH`, a plain file path or `:memory:` for SQLite.
 */
export function openStore(url: string, opts: StoreOptions = {}): Store {
  const store = openDatabase(url, opts);
  // Action secrets and rules-config values are sealed at rest (sealed-settings.ts).
  if (opts.secret) sealSettingsWith(store.db, settingsBox(opts.secret));
  return store;
}

function openDatabase(url: string, opts: StoreOptions): Store {
  const target = parseDatabaseUrl(url);
  if (target.kind === 'postgres') {
    const pool = createPgPool(url, {
      poolSize: opts.poolSize,
      schema: opts.schema,
      connectTimeoutMs: opts.connectTimeoutMs ?? DEFAULTS.dbConnectTimeoutMs,
      acquireTimeoutMs: opts.acquireTimeoutMs ?? DEFAULTS.dbAcquireTimeoutMs,
      statementTimeoutMs: opts.statementTimeoutMs ?? DEFAULTS.dbStatementTimeoutMs,
      prepared: opts.prepared,
      log: opts.log ?? pino({ level: 'warn' }, pino.destination(2)),
    });
    const db = new Kysely<Database>({ dialect: withStoreErrors(new PostgresDialect({ pool })) });
    return {
      db,
      dialect: 'postgres',
      schema: opts.schema,
      where: redactUrl(url),
      close: () => db.destroy(),
    };
  }
  const file = target.file;
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const statements = withStatementCache(sqlite);
  const db = new Kysely<Database>({
    dialect: withStoreErrors(new ImmediateSqliteDialect(sqlite, statements)),
  });
  // Compiled hot queries run on the connection directly outside transactions (compiled.ts).
  const handle = { sqlite, prepare: (sql: string) => statements.prepare(sql) };
  registerSqlite(db, handle);
  // The hot paths' writes of one turn commit together (write-group.ts).
  registerWriteGroup(db, handle);
  return {
    db,
    dialect: 'sqlite',
    where: file,
    close: async () => {
      // Writes still queued for a group commit are made (and answered) first.
      await drainWrites(db);
      await db.destroy();
    },
  };
}

/**
 * Kysely's SQLite driver opens transactions with a plain (deferred) `begin`:
 * such a transaction takes a read snapshot at its first read and the write
 * lock only at its first write, and when another connection (a server, the
 * CLI) committed in between, SQLite refuses the write at once with
 * SQLITE_BUSY_SNAPSHOT ("database is locked"), which busy_timeout does not
 * retry. Tessera opens transactions only to write, so every one begins
 * IMMEDIATE: it takes the write lock first, waiting up to busy_timeout.
 *
 * When a statement fails with SQLITE_FULL, SQLITE_IOERR or SQLITE_NOMEM,
 * SQLite may have rolled the transaction back itself; a `rollback` then
 * fails with "cannot rollback - no transaction is active" and Kysely throws
 * that instead of the real error. Roll back only a transaction still open.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  readonly #sqlite: SQLite.Database;
  constructor(sqlite: SQLite.Database, statements: StatementCache) {
    super({ database: statements as unknown as SqliteDatabase });
    this.#sqlite = sqlite;
  }
  override createDriver(): Driver {
    const sqlite = this.#sqlite;
    const driver = super.createDriver() as SqliteDriver;
    const rollback = driver.rollbackTransaction.bind(driver);
    driver.beginTransaction = async (connection: DatabaseConnection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    driver.rollbackTransaction = async (connection: DatabaseConnection) => {
      if (sqlite.inTransaction) await rollback(connection);
    };
    return driver;
  }
}

/**
 * Kysely prepares every query anew; the same few statements run on every
 * token request, so keep each prepared statement by its SQL text (the most
 * recently used ones: an LRU cache).
 * better-sqlite3 runs a statement to completion synchronously, so sharing
 * one is safe (nothing here iterates a statement lazily).
 */
interface StatementCache {
  prepare(sql: string): SQLite.Statement;
  close(): void;
}

function withStatementCache(sqlite: SQLite.Database): StatementCache {
  const statements = new LRUCache<string, SQLite.Statement>({ max: ALL_DEFAULTS.caches.sqliteStatements });
  return {
    prepare(sql: string) {
      let stmt = statements.get(sql);
      if (!stmt) {
        stmt = sqlite.prepare(sql);
        statements.set(sql, stmt);
      }
      return stmt;
    },
    close() {
      statements.clear();
      sqlite.close();
    },
  };
}

/** Brings the schema up to date; returns the names of the migrations it ran. */
export async function migrate(store: Store): Promise<string[]> {
  // Kysely looks for its bookkeeping tables by name across schemas: name ours explicitly, and let
  // it see only the store's own schema (own-schema.ts).
  const migrator = new Migrator({
    db: store.dialect === 'postgres' ? ownSchemaView(store.db) : store.db,
    provider: migrationProvider,
    ...(store.schema ? { migrationTableSchema: store.schema } : {}),
  });
  // A migration may rightly outlast the statement timeout (an index on a large table).
  const { error, results } = await unbounded(() => migrator.migrateToLatest());
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    const where = `the database at ${store.where ?? '(unknown)'} (TESSERA_DATABASE_URL)`;
    if (failed) throw new Error(`database migration ${failed.migrationName} failed: ${errorText(error)}`);
    // No migration ran: the database could not be reached or read at all.
    if (isConnectionError(error)) throw new Error(`cannot connect to ${where}: ${errorText(error)}`);
    throw new Error(`cannot read the migration state of ${where}: ${errorText(error)}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** An error's message; Node's connection errors to several addresses (localhost) carry theirs inside. */
function errorText(err: unknown): string {
  const e = err as { message?: string; code?: string; errors?: { message?: string }[] };
  if (e?.message) return e.message;
  const inner = (e?.errors ?? []).map((x) => x.message).filter(Boolean);
  if (inner.length > 0) return inner.join('; ');
  return e?.code ?? String(err);
}

/** Network failures, and PostgreSQL's refusals of the connection itself (class 08, 28, 3D000). */
function isConnectionError(err: unknown): boolean {
  // The pool reports an unreachable server as UnavailableError, with the driver's error as cause.
  if (err instanceof UnavailableError) return err.cause === undefined || isConnectionError(err.cause);
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string') return false;
  return (
    ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET', '3D000'].includes(
      code,
    ) || /^(08|28)/.test(code)
  );
}

/** True when the store holds no tenant yet (no connections, clients or APIs). */
export async function isEmpty(store: Store): Promise<boolean> {
  const row = await store.db
    .selectFrom('clients')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const conns = await store.db
    .selectFrom('connections')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n) === 0 && Number(conns.n) === 0;
}
