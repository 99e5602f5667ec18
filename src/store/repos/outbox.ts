import type { Kysely } from 'kysely';
import type { Database, OutboxTable } from '../schema.js';

export type OutboxRow = OutboxTable;

export async function insertOutbox(db: Kysely<Database>, row: OutboxRow): Promise<void> {
  await db.insertInto('outbox').values(row).execute();
}

/** The latest messages, newest first, optionally for one recipient. */
export async function listOutbox(
  db: Kysely<Database>,
  opts: { limit?: number; recipient?: string } = {},
): Promise<OutboxRow[]> {
  let q = db
    .selectFrom('outbox')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(opts.limit ?? 20);
  if (opts.recipient) q = q.where('recipient', '=', opts.recipient);
  return q.execute();
}

/** Deletes the messages whose code or link has expired; returns how many. */
export async function deleteExpiredOutbox(db: Kysely<Database>, now: number): Promise<number> {
  const r = await db.deleteFrom('outbox').where('expires_at', '<', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}
