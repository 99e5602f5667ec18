import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';
import type { Database } from '../schema.js';

/**
 * One kind of row that may go: a table, its key, and which rows (the
 * condition is evaluated per batch, so it must use an index and every row
 * it selects must be deletable, or a batch would find the same rows again).
 */
export interface PurgeTarget {
  /** A table of the schema. */
  table: keyof Database;
  key: string;
  where: (eb: ExpressionBuilder<any, any>) => Expression<SqlBool>;
}

/**
 * Deletes the target's rows `batchSize` at a time, one short statement per
 * batch (`DELETE … WHERE key IN (SELECT key … LIMIT n)`, the same on SQLite
 * and PostgreSQL), yielding to the event loop between batches so that logins
 * are served meanwhile. Returns how many rows went.
 */
export async function deleteInBatches(
  db: Kysely<Database>,
  target: PurgeTarget,
  batchSize: number,
): Promise<number> {
  const anyDb = db as unknown as Kysely<any>;
  let total = 0;
  for (;;) {
    const batch = anyDb.selectFrom(target.table).select(target.key).where(target.where).limit(batchSize);
    const r = await anyDb.deleteFrom(target.table).where(target.key, 'in', batch).executeTakeFirst();
    const n = Number(r.numDeletedRows);
    total += n;
    if (n < batchSize) return total;
    await yieldToEventLoop();
  }
}
