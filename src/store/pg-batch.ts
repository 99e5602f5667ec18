import { type Kysely, PostgresAdapter, type RawBuilder, sql } from 'kysely';
import { currentDeadline, type Deadline, msLeft, outsideRequest, underDeadline } from './deadline.js';
import type { Database } from './schema.js';
import { afterTurns } from './turns.js';
import { UnavailableError } from './unavailable.js';

/**
 * Batched statements for PostgreSQL: the hot path's statements of one kind
 * (a refresh's read, a rotation) that requests ask for in the same turns of
 * the event loop go to the server as one statement over arrays, in one
 * round trip. On a loaded server most of a statement's cost, on both sides,
 * is the round trip itself: the socket write that wakes PostgreSQL's
 * backend, the protocol, the executor's start and a commit each. A batch
 * pays them once (README, Performance, round 12).
 *
 * What it keeps:
 * - **The same answers as alone.** `many` must give each item the result
 *   `one` would; a result `confirm` calls into doubt (a rotation that lost:
 *   a racing request won, or it only looked so inside the batch) is asked
 *   again alone, after the batch committed.
 * - **A failure stays with whom it concerns.** When the batch fails because
 *   the database cannot be reached (UnavailableError), every item fails with
 *   that; any other failure (one item's bad value, a deadlock between two
 *   batches) runs each item alone, so only the item at fault fails.
 * - **No query for a request that is over.** An item joins, and is sent,
 *   only while its request has time left and its client is there (msLeft
 *   throws otherwise). Alone, it runs under its request's deadline, as
 *   without a batch; a batch runs under the latest of its items' deadlines,
 *   so that no request's departure fails the others.
 *
 * Alone (one item after the turn), in a transaction, and on SQLite (whose
 * statements cost no round trip), an item runs as `one`.
 */
export interface BatchedStatement<I, O> {
  /** The statement for one item, as it runs without a batch. */
  one(db: Kysely<Database>, item: I): Promise<O>;
  /** One statement for several items: their results, in their order. */
  many(db: Kysely<Database>, items: I[]): Promise<O[]>;
  /** False when a result from `many` must be confirmed by `one` (default: every result stands). */
  confirm?(result: O): boolean;
}

/** The most items one statement carries; more wait for the next. */
const MAX_ITEMS = 64;

interface Pending<I, O> {
  item: I;
  /** The request's deadline, handed on to the statement (undefined: outside a request). */
  deadline: Deadline | undefined;
  resolve(value: O): void;
  reject(err: unknown): void;
}

/**
 * The deadline a batch's statement runs under: the latest of its items'
 * (they joined within a few turns, so within a few milliseconds of each
 * other), with none when an item has none.
 */
function latest(batch: readonly Pending<unknown, unknown>[]): Deadline | undefined {
  let at = Number.NEGATIVE_INFINITY;
  for (const p of batch) {
    if (!p.deadline) return undefined;
    at = Math.max(at, p.deadline.at);
  }
  return { at, gone: false };
}

/** Runs `statement` for `item` on `db`: in the turn's batch on PostgreSQL (see BatchedStatement). */
export function batched<I, O>(
  statement: BatchedStatement<I, O>,
): (db: Kysely<Database>, item: I) => Promise<O> {
  const queues = new WeakMap<Kysely<Database>, Pending<I, O>[]>();

  /** Each item on its own, under its own request's deadline, as without a batch. */
  const runAlone = (db: Kysely<Database>, batch: Pending<I, O>[]) => {
    for (const p of batch)
      underDeadline(p.deadline, () => statement.one(db, p.item)).then(p.resolve, p.reject);
  };

  const flush = (db: Kysely<Database>, queue: Pending<I, O>[]) => {
    queues.delete(db);
    // A request that ended while its item waited starts no query (as msLeft says).
    const live = queue.filter((p) => {
      try {
        if (p.deadline) msLeft(p.deadline);
        return true;
      } catch (err) {
        p.reject(err);
        return false;
      }
    });
    for (let from = 0; from < live.length; from += MAX_ITEMS) {
      const batch = live.slice(from, from + MAX_ITEMS);
      if (batch.length === 1) {
        runAlone(db, batch);
        continue;
      }
      underDeadline(latest(batch), () =>
        statement.many(
          db,
          batch.map((p) => p.item),
        ),
      ).then(
        (results) => {
          for (const [i, p] of batch.entries()) {
            const result = results[i];
            if (statement.confirm && !statement.confirm(result)) runAlone(db, [p]);
            else p.resolve(result);
          }
        },
        (err: unknown) => {
          if (err instanceof UnavailableError) for (const p of batch) p.reject(err);
          else runAlone(db, batch);
        },
      );
    }
  };

  return (db, item) => {
    if (db.isTransaction || !(db.getExecutor().adapter instanceof PostgresAdapter))
      return statement.one(db, item);
    const deadline = currentDeadline();
    if (deadline?.unbounded) return statement.one(db, item);
    try {
      // Throws when the request's client is gone or its time is up: it starts no query.
      if (deadline) msLeft(deadline);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<O>((resolve, reject) => {
      let queue = queues.get(db);
      if (!queue) {
        const created: Pending<I, O>[] = [];
        queue = created;
        queues.set(db, created);
        // Scheduled outside the request: the statement runs under the deadline flush gives it.
        outsideRequest(() =>
          afterTurns(
            () => created.length,
            () => flush(db, created),
          ),
        );
      }
      queue.push({ item, deadline, resolve, reject });
    });
  };
}

/** A batch input column: its name in the statement and its PostgreSQL type. */
export type BatchColumn = readonly [name: string, type: 'text' | 'bigint'];

/**
 * `unnest($a::type[], …) WITH ORDINALITY AS alias(name, …, ord)`: a batch's
 * items as rows, one array argument per column (from argument `from` on),
 * numbered by `ord` from 1 in the items' order. For a `many` statement.
 */
export function unnestRows(
  p: (i: number) => unknown,
  alias: string,
  columns: readonly BatchColumn[],
  from = 0,
): RawBuilder<unknown> {
  const arrays = sql.join(columns.map(([, type], i) => sql`${p(from + i)}::${sql.raw(type)}[]`));
  const names = sql.join([...columns.map(([name]) => sql.ref(name)), sql.ref('ord')]);
  return sql`unnest(${arrays}) WITH ORDINALITY AS ${sql.ref(alias)}(${names})`;
}

/** The arguments of unnestRows: each item's values (in its columns' order) as one array per column. */
export function columnArrays(items: readonly (readonly unknown[])[], width: number): unknown[][] {
  return Array.from({ length: width }, (_, col) => items.map((values) => values[col] ?? null));
}
