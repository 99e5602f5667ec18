import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/** A Management API job (migration 0021); JSON fields are text. */
export type JobRow = {
  id: string;
  type: string;
  status: 'pending' | 'processing' | 'completed' | 'failed';
  client_id: string | null;
  connection_id: string | null;
  connection: string | null;
  payload: string | null;
  summary: string | null;
  errors: string | null;
  created_at: number;
  updated_at: number;
};

type Db = Kysely<Database>;
const t = (db: Db) => db.withTables<{ jobs: JobRow }>();

export async function insertJob(db: Db, row: JobRow): Promise<void> {
  await t(db).insertInto('jobs').values(row).execute();
}

export function findJob(db: Db, id: string): Promise<JobRow | undefined> {
  return t(db).selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
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
  const r = await t(db)
    .updateTable('jobs')
    .set(set)
    .where('id', '=', id)
    .where('status', 'in', from)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
