import type { Kysely } from 'kysely';

/**
 * The retention indexes on columns that are null while a row is live
 * (0011-retention.ts) hold only the rows that are not: a purge asks for
 * `column < time`, which such an index answers, and no hot statement can
 * be planned through them any more. As full indexes they let PostgreSQL
 * answer `revoked_at IS NULL` (a rotation's, a revocation's condition) from
 * the revoked_at index when its statistics were taken while few tokens were
 * live, and a rotation then read every live token (test/store/pg-plans.test.ts).
 * They are smaller too: a live token is in none of them.
 */
const PARTIAL: [name: string, table: string, column: string][] = [
  ['refresh_tokens_revoked', 'refresh_tokens', 'revoked_at'],
  ['refresh_tokens_expires', 'refresh_tokens', 'expires_at'],
  ['refresh_tokens_idle_expires', 'refresh_tokens', 'idle_expires_at'],
  ['protection_blocks_lifted', 'protection_blocks', 'lifted_at'],
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const [name, table, column] of PARTIAL) {
    await db.schema.dropIndex(name).ifExists().execute();
    await db.schema.createIndex(name).on(table).column(column).where(column, 'is not', null).execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const [name, table, column] of PARTIAL) {
    await db.schema.dropIndex(name).ifExists().execute();
    await db.schema.createIndex(name).on(table).column(column).execute();
  }
}
