import type { Kysely } from 'kysely';

/**
 * Limits on the SMS and email codes MFA sends: a count per MFA transaction,
 * and the time of each user's last send, kept where the transactions live
 * so that every node sees the same counters.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('mfa_transactions')
    .addColumn('oob_sends', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('mfa_oob_sends')
    .addColumn('user_id', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('last_sent_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('mfa_oob_sends').ifExists().execute();
  await db.schema.alterTable('mfa_transactions').dropColumn('oob_sends').execute();
}
