import type { Kysely } from 'kysely';
import { runDirectlyIn, runStatement, type SqliteHandle } from './compiled.js';
import type { Database } from './schema.js';
import { afterTurns } from './turns.js';

/**
 * Group commit for SQLite: the hot paths' writes (a rotation, a login's
 * audit event) that are asked for in the same turn of the event loop are
 * made in one transaction, each inside a savepoint of its own, and committed
 * once. A commit is most of a write's cost on SQLite (it appends every page
 * the write touched to the WAL; pages that several writes share are then
 * appended once), and it blocks the event loop.
 *
 * What it keeps:
 * - **Nothing is answered before it is committed.** Each write's promise
 *   settles only after the group's COMMIT, so a crash before it loses only
 *   writes nobody was told of.
 * - **All or nothing, per write.** A write that fails is rolled back to its
 *   savepoint (one of several statements, writeTogether) or by SQLite itself
 *   (one statement, writeOne: SQLite undoes a failed statement) and fails
 *   alone; the others commit. When SQLite itself ends
 *   the transaction (SQLITE_FULL, SQLITE_IOERR: see db.ts), or the COMMIT
 *   fails, every write of the group fails with that error, and none is
 *   written.
 * - **No one reads what is not committed.** The writes wait, queued, and run
 *   one after the other once the turn's I/O callbacks have run (setImmediate;
 *   while every turn brings more, a few turns later: see turns.ts),
 *   through Kysely's one SQLite connection: a read outside them waits for the
 *   connection or runs while no transaction is open (store/compiled.ts).
 *   Inside the group each write sees those before it, as it would once they
 *   had committed: of two racing conditional UPDATEs exactly one wins.
 *
 * A write's body must only run statements on the transaction it is given:
 * awaiting anything else would hold SQLite's write lock (and every other
 * write of the group) for as long.
 *
 * PostgreSQL commits each write on its own (its commits do not block the
 * event loop, and its hot writes are single statements already).
 */
type Body<T> = (trx: Kysely<Database>) => Promise<T>;

interface Member {
  body: Body<unknown>;
  /** Several statements, all or nothing (writeTogether); false: one statement (writeOne). */
  atomic: boolean;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

const SAVEPOINT = 'savepoint tessera_write';
const RELEASE = 'release tessera_write';
const ROLLBACK_TO = 'rollback to tessera_write';

class WriteGroup {
  #pending: Member[] = [];
  /** Writes asked for and not yet answered: queued or in the group being committed. */
  #unsettled = 0;
  #onDrained: (() => void)[] = [];

  constructor(
    private readonly db: Kysely<Database>,
    private readonly handle: SqliteHandle,
  ) {}

  add<T>(body: Body<T>, atomic: boolean): Promise<T> {
    this.#unsettled++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({
        body,
        atomic,
        resolve: (value) => {
          resolve(value as T);
          this.#settled();
        },
        reject: (err) => {
          reject(err);
          this.#settled();
        },
      });
      if (this.#pending.length === 1) this.#collect();
    });
  }

  /** Resolves once every write asked for so far is answered (committed or failed). */
  drain(): Promise<void> {
    if (this.#unsettled === 0) return Promise.resolve();
    return new Promise((resolve) => this.#onDrained.push(resolve));
  }

  #settled(): void {
    if (--this.#unsettled === 0) for (const resolve of this.#onDrained.splice(0)) resolve();
  }

  /** Flushes once the turns stop bringing more writes (turns.ts). */
  #collect(): void {
    afterTurns(
      () => this.#pending.length,
      () => this.#flush(),
    );
  }

  /** A Kysely transaction whose compiled queries run on the connection directly (compiled.ts). */
  #transaction<T>(body: Body<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      const done = runDirectlyIn(trx, this.db);
      try {
        return await body(trx);
      } finally {
        done();
      }
    });
  }

  #flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 1) {
      // Alone: as without a group (no savepoint to pay for); one statement commits by itself.
      const [m] = batch;
      (m.atomic ? this.#transaction(m.body) : m.body(this.db)).then(m.resolve, m.reject);
      return;
    }
    const results: unknown[] = new Array(batch.length);
    const failed = new Map<number, unknown>();
    this.#transaction(async (trx) => {
      for (const [i, m] of batch.entries()) {
        // One statement needs no savepoint: when it fails, SQLite undoes that
        // statement and keeps the transaction, or else ends the transaction (below).
        if (m.atomic) runStatement(this.handle, SAVEPOINT);
        try {
          results[i] = await m.body(trx);
          if (m.atomic) runStatement(this.handle, RELEASE);
        } catch (err) {
          // SQLite rolled the whole transaction back: the writes before this one are gone too.
          if (!this.handle.sqlite.inTransaction) throw err;
          failed.set(i, err);
          if (m.atomic) {
            runStatement(this.handle, ROLLBACK_TO);
            runStatement(this.handle, RELEASE);
          }
        }
      }
    }).then(
      () => {
        for (const [i, m] of batch.entries()) {
          if (failed.has(i)) m.reject(failed.get(i));
          else m.resolve(results[i]);
        }
      },
      (err) => {
        for (const [i, m] of batch.entries()) m.reject(failed.get(i) ?? err);
      },
    );
  }
}

const groups = new WeakMap<Kysely<Database>, WriteGroup>();

/** Makes writes on `db` (a SQLite store's Kysely instance) join the turn's group commit. */
export function registerWriteGroup(db: Kysely<Database>, handle: SqliteHandle): void {
  groups.set(db, new WriteGroup(db, handle));
}

/**
 * Resolves once every write asked for on `db` so far is answered: a store
 * awaits it before it closes, so that no write queued for a group is lost.
 */
export function drainWrites(db: Kysely<Database>): Promise<void> {
  return groups.get(db)?.drain() ?? Promise.resolve();
}

/**
 * Runs `body`'s writes all or nothing: in the current turn's group commit
 * on SQLite (see WriteGroup), in a transaction of their own on PostgreSQL,
 * and as part of `db` when `db` is a transaction already.
 */
export function writeTogether<T>(db: Kysely<Database>, body: Body<T>): Promise<T> {
  if (db.isTransaction) return body(db);
  const group = groups.get(db);
  if (group) return group.add(body, true);
  return db.transaction().execute(body);
}

/**
 * Runs one write statement: in the current turn's group commit on SQLite,
 * on its own (no transaction around it) on PostgreSQL or inside `db` when
 * `db` is a transaction already.
 */
export function writeOne<T>(db: Kysely<Database>, statement: Body<T>): Promise<T> {
  const group = db.isTransaction ? undefined : groups.get(db);
  return group ? group.add(statement, false) : statement(db);
}
