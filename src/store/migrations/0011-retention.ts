import type { Kysely } from 'kysely';

/** Indexes for retention: every purge finds its rows by time, never by a full scan. */
const INDEXES: [name: string, table: string, column: string][] = [
  ['refresh_tokens_revoked', 'refresh_tokens', 'revoked_at'],
  ['refresh_tokens_expires', 'refresh_tokens', 'expires_at'],
  ['refresh_tokens_idle_expires', 'refresh_tokens', 'idle_expires_at'],
  ['mfa_transactions_expires', 'mfa_transactions', 'expires_at'],
  ['mfa_challenges_expires', 'mfa_challenges', 'expires_at'],
  ['mfa_attempts_updated', 'mfa_attempts', 'updated_at'],
  ['protection_tickets_expires', 'protection_tickets', 'expires_at'],
  ['protection_blocks_lifted', 'protection_blocks', 'lifted_at'],
  ['protection_blocks_expires', 'protection_blocks', 'expires_at'],
  ['outbox_created', 'outbox', 'created_at'],
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const [name, table, column] of INDEXES) {
    await db.schema.createIndex(name).on(table).column(column).execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const [name] of INDEXES) await db.schema.dropIndex(name).ifExists().execute();
}
