import type { Kysely } from 'kysely';

/**
 * Outbox bodies are sealed with the server secret (`sealed` = 1; rows from
 * before stay readable as they are), and a message carrying a code goes when
 * the code expires (`expires_at`).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('outbox').addColumn('expires_at', 'bigint').execute();
  await db.schema
    .alterTable('outbox')
    .addColumn('sealed', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('outbox_expires').on('outbox').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('outbox_expires').ifExists().execute();
  await db.schema.alterTable('outbox').dropColumn('sealed').execute();
  await db.schema.alterTable('outbox').dropColumn('expires_at').execute();
}
