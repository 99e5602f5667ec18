import type SQLite from 'better-sqlite3';
import { type Compilable, type CompiledQuery, type Kysely, PostgresAdapter, type QueryResult } from 'kysely';
import { toStoreError } from './errors.js';
import type { Database } from './schema.js';

/**
 * A query of the hot path (every token request runs it), built and compiled
 * by Kysely once per database rather than on every call: building a query's
 * operation tree and compiling it to SQL cost more CPU than SQLite takes to
 * run it. The SQL is the one Kysely writes for the database's dialect; only
 * the parameters change from call to call. (SQLite then reuses the prepared
 * statement too: see the statement cache in db.ts; PostgreSQL prepares it
 * once per connection: see preparedName.)
 *
 * On SQLite, outside a transaction (and inside a group commit's: see
 * `runDirectlyIn`), the statement runs on the connection directly rather
 * than through Kysely's executor, driver and connection mutex (see
 * `registerSqlite`).
 *
 * `build` receives `p(i)`, the i-th argument of the call, to put where a
 * value goes; every other value in the query is fixed at compile time.
 *
 * @example
 * const byHash = compiled((db, p) =>
 *   db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', p(0)));
 * const rows = (await byHash.execute(db, hash)).rows;
 */
export interface Compiled<R> {
  /** Runs the query on `db` (a transaction too) with these arguments. */
  execute(db: Kysely<Database>, ...args: unknown[]): Promise<QueryResult<R>>;
}

const SENTINEL = '\u0000tessera-compiled-arg:';

/** PostgreSQL: each compiled query's SQL and the name it is prepared under (preparedName). */
const pgNames = new Map<string, string>();

/**
 * The name under which PostgreSQL prepares `sql`, when it is a compiled
 * query's (pg-pool.ts sends it as a named statement: parsed and planned
 * once per connection, not at every call); undefined for any other query.
 * Only compiled queries are named, so a connection holds a bounded set of
 * prepared statements whatever else runs on it.
 */
export function preparedName(sql: string): string | undefined {
  return pgNames.get(sql);
}

/** A SQLite database's connection and its statement cache (db.ts). */
export interface SqliteHandle {
  readonly sqlite: SQLite.Database;
  prepare(sql: string): SQLite.Statement;
}

const sqliteOf = new WeakMap<Kysely<Database>, SqliteHandle>();

/**
 * Lets compiled queries on `db` (a SQLite store's Kysely instance, not a
 * transaction) run on its connection directly. Only while no transaction
 * is open on the connection: Kysely holds the one SQLite connection across
 * awaits for a transaction, and a statement run then would silently join it
 * (and roll back with it); such a query takes Kysely's way, which waits for
 * the transaction to end. better-sqlite3 runs a statement synchronously, so
 * nothing can begin a transaction between the check and the run.
 */
export function registerSqlite(db: Kysely<Database>, handle: SqliteHandle): void {
  sqliteOf.set(db, handle);
}

/** Transactions open now whose compiled queries run on the connection directly (runDirectlyIn). */
const directIn = new WeakMap<Kysely<Database>, SqliteHandle>();

/**
 * Lets compiled queries on `trx`, a transaction of `db` (a SQLite store's
 * Kysely instance), run on the connection directly until the returned
 * function is called, which must be before `trx` ends. The transaction holds
 * Kysely's one connection, so a statement run directly runs in it, as
 * through Kysely, without Kysely's executor, driver and mutex in between.
 * For a transaction whose statements are Tessera's own hot writes
 * (store/write-group.ts).
 */
export function runDirectlyIn(trx: Kysely<Database>, db: Kysely<Database>): () => void {
  const handle = sqliteOf.get(db);
  if (!handle) return () => {};
  directIn.set(trx, handle);
  return () => directIn.delete(trx);
}

/** Runs one statement of no result (SAVEPOINT, RELEASE, ROLLBACK TO) on the connection directly. */
export function runStatement(handle: SqliteHandle, sql: string): void {
  try {
    handle.prepare(sql).run();
  } catch (err) {
    throw toStoreError(err);
  }
}

/** What Kysely's SQLite connection answers, its errors mapped as store/errors.ts maps them. */
function runOnSqlite<R>(handle: SqliteHandle, sql: string, parameters: unknown[]): Promise<QueryResult<R>> {
  try {
    const stmt = handle.prepare(sql);
    if (stmt.reader) return Promise.resolve({ rows: stmt.all(parameters) as R[] });
    const { changes, lastInsertRowid } = stmt.run(parameters);
    return Promise.resolve({
      rows: [],
      numAffectedRows: changes !== undefined && changes !== null ? BigInt(changes) : undefined,
      insertId:
        lastInsertRowid !== undefined && lastInsertRowid !== null ? BigInt(lastInsertRowid) : undefined,
    });
  } catch (err) {
    return Promise.reject(toStoreError(err));
  }
}

/** A hot query compiled once per database (see `Compiled`). */
export function compiled<R>(
  build: (db: Kysely<Database>, p: (i: number) => any) => Compilable<R>,
): Compiled<R> {
  // By the database's dialect: a transaction compiles like its database.
  const byAdapter = new WeakMap<object, { query: CompiledQuery<R>; slots: (number | undefined)[] }>();
  const prepare = (db: Kysely<Database>) => {
    const key = db.getExecutor().adapter;
    let entry = byAdapter.get(key);
    if (!entry) {
      const query = build(db, (i) => `${SENTINEL}${i}`).compile();
      // Which argument each parameter is; undefined: a constant of the query.
      const slots = query.parameters.map((v) =>
        typeof v === 'string' && v.startsWith(SENTINEL) ? Number(v.slice(SENTINEL.length)) : undefined,
      );
      entry = { query, slots };
      byAdapter.set(key, entry);
      if (key instanceof PostgresAdapter && !pgNames.has(query.sql)) {
        pgNames.set(query.sql, `tessera_${pgNames.size + 1}`);
      }
    }
    return entry;
  };
  return {
    execute(db, ...args) {
      const { query, slots } = prepare(db);
      const parameters = slots.map((slot, i) => (slot === undefined ? query.parameters[i] : args[slot]));
      const direct = directIn.get(db);
      if (direct) return runOnSqlite<R>(direct, query.sql, parameters);
      const sqlite = sqliteOf.get(db);
      if (sqlite && !db.isTransaction && !sqlite.sqlite.inTransaction)
        return runOnSqlite<R>(sqlite, query.sql, parameters);
      return db.executeQuery<R>({ ...query, parameters });
    },
  };
}
