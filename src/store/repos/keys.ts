import type { Kysely } from 'kysely';
import type { Database, SigningKeysTable } from '../schema.js';

export type SigningKeyRow = SigningKeysTable;

export async function listSigningKeys(db: Kysely<Database>): Promise<SigningKeyRow[]> {
  return db.selectFrom('signing_keys').selectAll().orderBy('activates_at').execute();
}

export async function insertSigningKey(db: Kysely<Database>, row: SigningKeyRow): Promise<void> {
  await db.insertInto('signing_keys').values(row).execute();
}

/** Stops keys signing from `at` and drops them from the JWKS at `dropAt`. */
export async function retireSigningKeys(
  db: Kysely<Database>,
  kids: string[],
  at: number,
  dropAt: number,
): Promise<void> {
  if (kids.length === 0) return;
  await db
    .updateTable('signing_keys')
    .set({ retired_at: at, drop_at: dropAt })
    .where('kid', 'in', kids)
    .execute();
}

/** Deletes the keys whose drop time has passed. */
export async function deleteDroppedSigningKeys(db: Kysely<Database>, now: number): Promise<void> {
  await db.deleteFrom('signing_keys').where('drop_at', 'is not', null).where('drop_at', '<=', now).execute();
}

/** Revokes a key: it stops signing (if it still did) and leaves the JWKS at `now`. */
export async function revokeSigningKeyRow(db: Kysely<Database>, kid: string, now: number): Promise<void> {
  await db.updateTable('signing_keys').set({ drop_at: now }).where('kid', '=', kid).execute();
  await db
    .updateTable('signing_keys')
    .set({ retired_at: now })
    .where('kid', '=', kid)
    .where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', now)]))
    .execute();
}
