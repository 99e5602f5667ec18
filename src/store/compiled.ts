import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Database } from './schema.js';

/**
 * A query of the hot path (every token request runs it), built and compiled
 * by Kysely once per database rather than on every call: building a query's
 * operation tree and compiling it to SQL cost more CPU than SQLite takes to
 * run it. The SQL is the one Kysely writes for the database's dialect; only
 * the parameters change from call to call. (SQLite then reuses the prepared
 * statement too: see the statement cache in db.ts.)
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
    }
    return entry;
  };
  return {
    execute(db, ...args) {
      const { query, slots } = prepare(db);
      const parameters = slots.map((slot, i) => (slot === undefined ? query.parameters[i] : args[slot]));
      return db.executeQuery<R>({ ...query, parameters });
    },
  };
}
