import type { Kysely } from 'kysely';
import { consumeOnce } from '../consume.js';
import type { Database, RefreshTokensTable } from '../schema.js';

export type RefreshTokenRow = RefreshTokensTable;

/** A new token: no sealed successor yet; `parent_id` unless it starts a family. */
export type NewRefreshToken = Omit<RefreshTokenRow, 'successor_enc' | 'parent_id'> & {
  parent_id?: string | null;
};

export async function insertRefreshToken(db: Kysely<Database>, row: NewRefreshToken): Promise<void> {
  await db
    .insertInto('refresh_tokens')
    .values({ ...row, successor_enc: null, parent_id: row.parent_id ?? null })
    .execute();
}

export async function findRefreshTokenByHash(
  db: Kysely<Database>,
  hash: string,
): Promise<RefreshTokenRow | undefined> {
  return db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
}

export async function findRefreshTokenById(
  db: Kysely<Database>,
  id: string,
): Promise<RefreshTokenRow | undefined> {
  return db.selectFrom('refresh_tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Marks a token as exchanged for its successor (kept sealed for retries),
 * only if nobody did so first: one conditional UPDATE, so of two racing
 * requests exactly one wins.
 */
export async function consumeRefreshToken(
  db: Kysely<Database>,
  id: string,
  successor: { id: string; sealed: string | null },
  now: number,
): Promise<boolean> {
  return consumeOnce(
    db,
    'refresh_tokens',
    (eb) => eb.and([eb('id', '=', id), eb('rotated_at', 'is', null), eb('revoked_at', 'is', null)]),
    { rotated_at: now, replaced_by: successor.id, successor_enc: successor.sealed, last_used_at: now },
  );
}

/**
 * Re-exchanges the immediately previous token within the leeway: only if
 * its successor is still unused, which the successor's own conditional
 * revocation decides atomically.
 */
export async function supersedeSuccessor(
  db: Kysely<Database>,
  previous: RefreshTokenRow,
  successorId: string,
  now: number,
): Promise<boolean> {
  if (!previous.replaced_by) return false;
  const successor = previous.replaced_by;
  const won = await consumeOnce(
    db,
    'refresh_tokens',
    (eb) => eb.and([eb('id', '=', successor), eb('rotated_at', 'is', null), eb('revoked_at', 'is', null)]),
    { revoked_at: now },
  );
  if (!won) return false;
  await db
    .updateTable('refresh_tokens')
    .set({ replaced_by: successorId, successor_enc: null, last_used_at: now })
    .where('id', '=', previous.id)
    .execute();
  return true;
}

/** Forgets a consumed token's sealed successor: the successor was used, no retry can need it. */
export async function forgetSuccessor(db: Kysely<Database>, id: string): Promise<void> {
  await db
    .updateTable('refresh_tokens')
    .set({ successor_enc: null })
    .where('id', '=', id)
    .where('successor_enc', 'is not', null)
    .execute();
}

/** Records a use of a non-rotating token (slides its idle expiry). */
export async function touchRefreshToken(
  db: Kysely<Database>,
  id: string,
  now: number,
  idleExpiresAt: number | null,
): Promise<boolean> {
  return consumeOnce(
    db,
    'refresh_tokens',
    (eb) => eb.and([eb('id', '=', id), eb('revoked_at', 'is', null)]),
    { last_used_at: now, idle_expires_at: idleExpiresAt },
  );
}

/** Revokes every live token of a family (forgetting sealed successors); returns how many. */
export function revokeFamily(db: Kysely<Database>, familyId: string, now: number): Promise<number> {
  return revokeLive(db, 'family_id', familyId, now);
}

/** Revokes every refresh token of a user (password change, deletion, block). */
export function revokeUserRefreshTokens(db: Kysely<Database>, userId: string, now: number): Promise<number> {
  return revokeLive(db, 'user_id', userId, now);
}

/** Revokes the live tokens whose `column` is `value` (forgetting sealed successors); returns how many. */
async function revokeLive(
  db: Kysely<Database>,
  column: 'family_id' | 'user_id',
  value: string,
  now: number,
): Promise<number> {
  const r = await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: now, successor_enc: null })
    .where(column, '=', value)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
