import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/** One reset or verification link (migration 0013); only the SHA-256 of the ticket is stored. */
export type TicketRow = {
  id: string;
  hash: string;
  kind: 'reset' | 'verify';
  user_id: string;
  connection_id: string;
  /** The address the link was sent to (a verification link verifies that address only). */
  email: string | null;
  /** SHA-256 of the user's password hash when issued: any later password change kills the ticket. */
  password_fp: string;
  client_id: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  /** Where the page sends the user afterwards (a Management API ticket's `result_url`; migration 0021). */
  result_url?: string | null;
  /** Whether a password change marks the email verified: 1, 0, or null (yes when the address matches). */
  mark_verified?: number | null;
};

type PasswordHistoryRow = {
  id: string;
  user_id: string;
  password_hash: string;
  created_at: number;
};

type TicketTables = {
  identity_tickets: TicketRow;
  password_history: PasswordHistoryRow;
};

type Db = Kysely<Database>;
const t = (db: Db) => db.withTables<TicketTables>();

export async function insertTicket(db: Db, row: TicketRow): Promise<void> {
  await t(db).insertInto('identity_tickets').values(row).execute();
}

export async function findTicketByHash(db: Db, hash: string): Promise<TicketRow | undefined> {
  return t(db).selectFrom('identity_tickets').selectAll().where('hash', '=', hash).executeTakeFirst();
}

/**
 * Uses a ticket: one conditional UPDATE, so of two concurrent uses only one
 * wins. False when it was already used or has expired.
 */
export async function consumeTicket(db: Db, id: string, now: number): Promise<boolean> {
  const r = await t(db)
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
  await t(db)
    .updateTable('identity_tickets')
    .set({ used_at: now })
    .where('user_id', '=', userId)
    .where('kind', '=', kind)
    .where('used_at', 'is', null)
    .execute();
}

/** Forgets tickets that expired before `before` (kept a while so a late click still reads "expired"). */
export async function purgeTickets(db: Db, before: number): Promise<number> {
  const r = await t(db).deleteFrom('identity_tickets').where('expires_at', '<', before).executeTakeFirst();
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
  const rows = await t(db)
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
export async function pushPasswordHistory(db: Db, row: PasswordHistoryRow, keep: number): Promise<void> {
  await t(db).insertInto('password_history').values(row).execute();
  const kept = await t(db)
    .selectFrom('password_history')
    .select('id')
    .where('user_id', '=', row.user_id)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(keep)
    .execute();
  await t(db)
    .deleteFrom('password_history')
    .where('user_id', '=', row.user_id)
    .where(
      'id',
      'not in',
      kept.map((k) => k.id),
    )
    .execute();
}
