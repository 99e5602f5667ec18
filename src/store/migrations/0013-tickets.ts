import type { Kysely } from 'kysely';

/**
 * The tickets of the password-reset and email-verification links (only a
 * SHA-256 of each ticket is kept), and the previous password hashes of users
 * whose connection keeps a password history.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('identity_tickets')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('connection_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('email', 'varchar(512)')
    .addColumn('password_fp', 'varchar(64)', (c) => c.notNull())
    .addColumn('client_id', 'varchar(255)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('identity_tickets_user')
    .on('identity_tickets')
    .columns(['user_id', 'kind'])
    .execute();
  await db.schema
    .createIndex('identity_tickets_expires')
    .on('identity_tickets')
    .column('expires_at')
    .execute();

  await db.schema
    .createTable('password_history')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('password_history_user')
    .on('password_history')
    .columns(['user_id', 'created_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['password_history', 'identity_tickets']) await db.schema.dropTable(t).ifExists().execute();
}
