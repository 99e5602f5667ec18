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
