import type { Kysely } from 'kysely';
import type { Database, IdentityTicketsTable, PasswordHistoryTable } from '../schema.js';

/** One reset or verification link (migration 0013): its row (schema.ts). */
export type TicketRow = IdentityTicketsTable;

type Db = Kysely<Database>;

export async function insertTicket(db: Db, row: TicketRow): Promise<void> {
  await db.insertInto('identity_tickets').values(row).execute();
}

export async function findTicketByHash(db: Db, hash: string): Promise<TicketRow | undefined> {
  return db.selectFrom('identity_tickets').selectAll().where('hash', '=', hash).executeTakeFirst();
}

/**
 * Uses a ticket: one conditional UPDATE, so of two concurrent uses only one
 * wins. False when it was already used or has expired.
 */
export async function consumeTicket(db: Db, id: string, now: number): Promise<boolean> {
  const r = await db
    .updateTable('identity_tickets')
    .set({ used_at: now })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Kills every unused ticket of a kind for a user (a password was set: older reset links die). */
export async function killUserTickets(db: Db, userId: string, kind: TicketRow['kind'], now: number) {
  await db
    .updateTable('identity_tickets')
    .set({ used_at: now })
    .where('user_id', '=', userId)
    .where('kind', '=', kind)
    .where('used_at', 'is', null)
    .execute();
}

/** Forgets tickets that expired before `before` (kept a while so a late click still reads "expired"). */
export async function purgeTickets(db: Db, before: number): Promise<number> {
  const r = await db.deleteFrom('identity_tickets').where('expires_at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function markEmailVerified(db: Db, userId: string, now: number): Promise<void> {
  await db
    .updateTable('users')
    .set({ email_verified: 1, updated_at: now })
    .where('id', '=', userId)
    .execute();
}

/** A user's previous password hashes, newest first. */
export async function passwordHistory(db: Db, userId: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('password_history')
    .select('password_hash')
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => r.password_hash);
}

/** Remembers a replaced hash and keeps only the newest `keep` of the user's history. */
export async function pushPasswordHistory(db: Db, row: PasswordHistoryTable, keep: number): Promise<void> {
  await db.insertInto('password_history').values(row).execute();
  const kept = await db
    .selectFrom('password_history')
    .select('id')
    .where('user_id', '=', row.user_id)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(keep)
    .execute();
  await db
    .deleteFrom('password_history')
    .where('user_id', '=', row.user_id)
    .where(
      'id',
      'not in',
      kept.map((k) => k.id),
    )
    .execute();
}
