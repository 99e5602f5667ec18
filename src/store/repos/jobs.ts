import type { Kysely } from 'kysely';
import type { Database, JobsTable } from '../schema.js';

/** A Management API job (migration 0021): its row (schema.ts). */
export type JobRow = JobsTable;

type Db = Kysely<Database>;

export async function insertJob(db: Db, row: JobRow): Promise<void> {
  await db.insertInto('jobs').values(row).execute();
}

export function findJob(db: Db, id: string): Promise<JobRow | undefined> {
  return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Changes a job while it is in one of the `from` states (one conditional
 * UPDATE: of two writers only one moves it). True when it did.
 */
export async function updateJob(
  db: Db,
  id: string,
  from: JobRow['status'][],
  set: Partial<Omit<JobRow, 'id' | 'type' | 'created_at'>> & { updated_at: number },
): Promise<boolean> {
  const r = await db
    .updateTable('jobs')
    .set(set)
    .where('id', '=', id)
    .where('status', 'in', from)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
