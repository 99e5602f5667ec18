import type { Kysely } from 'kysely';

/**
 * Attack protection: the blocks (an identifier, an identifier from one IP,
 * or a throttled IP), the used unblock tickets, and the leaked passwords
 * found at login (by user, until the password changes).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('protection_blocks')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('connection_id', 'varchar(64)')
    .addColumn('identifier', 'varchar(512)')
    .addColumn('user_id', 'varchar(255)')
    .addColumn('ip', 'varchar(64)')
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('lifted_at', 'bigint')
    .addColumn('notified_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('protection_blocks_updated')
    .on('protection_blocks')
    .column('updated_at')
    .execute();
  await db.schema.createIndex('protection_blocks_user').on('protection_blocks').column('user_id').execute();
  await db.schema
    .createIndex('protection_blocks_identifier')
    .on('protection_blocks')
    .column('identifier')
    .execute();
  await db.schema.createIndex('protection_blocks_ip').on('protection_blocks').column('ip').execute();

  await db.schema
    .createTable('protection_tickets')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('used_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('protection_leaks')
    .addColumn('user_id', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('hash_fingerprint', 'varchar(64)', (c) => c.notNull())
    .addColumn('detected_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['protection_leaks', 'protection_tickets', 'protection_blocks']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
