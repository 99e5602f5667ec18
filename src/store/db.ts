import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type SqliteDatabase } from 'kysely';
import pg from 'pg';
import { withStoreErrors } from './errors.js';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: DialectName;
  /** The PostgreSQL schema the store lives in, when not the default search_path. */
  schema?: string;
  close(): Promise<void>;
}

// PostgreSQL returns int8 as a string to stay exact; our bigints are epoch
// milliseconds and counters, far below 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

/**
 * Opens the database named by a URL: `postgres://…` / `postgresql://…` for
 * PostgreSQL, `sqlite:PATH`, a plain file path or `:memory:` for SQLite.
 * `schema` (PostgreSQL only) sets the search_path, which isolates tests.
 */
export function openStore(url: string, opts: { schema?: string; poolSize?: number } = {}): Store {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({
      connectionString: url,
      max: opts.poolSize ?? 10,
      ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
    });
    const db = new Kysely<Database>({ dialect: withStoreErrors(new PostgresDialect({ pool })) });
    return { db, dialect: 'postgres', schema: opts.schema, close: () => db.destroy() };
  }
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({
    dialect: withStoreErrors(new SqliteDialect({ database: withStatementCache(sqlite) })),
  });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

/**
 * Kysely prepares every query anew; the same few statements run on every
 * token request, so keep each prepared statement by its SQL text.
 * better-sqlite3 runs a statement to completion synchronously, so sharing
 * one is safe (nothing here iterates a statement lazily).
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    prepare(sql: string) {
      let stmt = statements.get(sql);
      if (!stmt) {
        stmt = sqlite.prepare(sql);
        if (statements.size >= 1000) statements.clear();
        statements.set(sql, stmt);
      }
      return stmt;
    },
    close() {
      statements.clear();
      sqlite.close();
    },
  } as unknown as SqliteDatabase;
}

/** Brings the schema up to date; returns the names of the migrations it ran. */
export async function migrate(store: Store): Promise<string[]> {
  // Kysely looks for its bookkeeping tables by name across schemas: name ours explicitly.
  const migrator = new Migrator({
    db: store.db,
    provider: migrationProvider,
    ...(store.schema ? { migrationTableSchema: store.schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(
      `database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? error}`,
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
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
