import type { Kysely } from 'kysely';

/**
 * Safe retries of a rotation: the consumed token keeps its successor, sealed
 * with TESSERA_SECRET, for the retry window (the same successor answers an
 * exact retry whose first answer was lost); a token knows its parent, whose
 * sealed successor is forgotten as soon as the successor itself is used.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('refresh_tokens').addColumn('successor_enc', 'text').execute();
  await db.schema.alterTable('refresh_tokens').addColumn('parent_id', 'varchar(64)').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('refresh_tokens').dropColumn('parent_id').execute();
  await db.schema.alterTable('refresh_tokens').dropColumn('successor_enc').execute();
}
