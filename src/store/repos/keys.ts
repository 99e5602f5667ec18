import type { Kysely } from 'kysely';
import type { Database, SigningKeysTable } from '../schema.js';

export type SigningKeyRow = SigningKeysTable;

export async function listSigningKeys(db: Kysely<Database>): Promise<SigningKeyRow[]> {
  return db.selectFrom('signing_keys').selectAll().orderBy('activates_at').execute();
}

export async function insertSigningKey(db: Kysely<Database>, row: SigningKeyRow): Promise<void> {
  await db.insertInto('signing_keys').values(row).execute();
}

export async function retireSigningKeys(db: Kysely<Database>, kids: string[], at: number): Promise<void> {
  if (kids.length === 0) return;
  await db.updateTable('signing_keys').set({ retired_at: at }).where('kid', 'in', kids).execute();
}

export async function deleteSigningKey(db: Kysely<Database>, kid: string): Promise<void> {
  await db.deleteFrom('signing_keys').where('kid', '=', kid).execute();
}
