import type { Expression, ExpressionBuilder, Kysely, SqlBool, UpdateObject } from 'kysely';
import type { Database } from './schema.js';

/**
 * The values a consume writes: an object of columns, or a function of the
 * expression builder for values computed from the row (`counter + 1`).
 */
export type ConsumeSet<T extends keyof Database> =
  | UpdateObject<Database, T>
  | ((eb: ExpressionBuilder<Database, T>) => UpdateObject<Database, T>);

/**
 * The storage contract's one atomic primitive: a single conditional UPDATE of
 * at most one row (`where` names it by its key plus the state it must still
 * be in: `used_at IS NULL`, `last_step < step`, a counter below its cap …),
 * true only for the caller whose statement changed it. The database decides:
 * of any number of racing callers, on any node, exactly one wins, with no
 * read before the write and no lock held across statements.
 *
 * @example
 * const won = await consumeOnce(db, 'mfa_challenges', (eb) =>
 *   eb.and([eb('id', '=', id), eb('used_at', 'is', null)]), { used_at: now });
 */
export async function consumeOnce<T extends keyof Database & string>(
  db: Kysely<Database>,
  table: T,
  where: (eb: ExpressionBuilder<Database, T>) => Expression<SqlBool>,
  set: ConsumeSet<T>,
): Promise<boolean> {
  // Kysely cannot follow a generic table name through its overloads: the
  // public signature above is the typed one.
  const r = await (db as Kysely<any>)
    .updateTable(table as string)
    .set(set as any)
    .where(where as any)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
