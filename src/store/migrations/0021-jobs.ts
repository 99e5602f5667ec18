import type { Kysely } from 'kysely';

/**
 * The Management API's jobs (verification emails, user imports): their
 * input, state and outcome. And two fields of a reset or verification link
 * that the Management API's tickets set: where its page sends the user
 * afterwards (`result_url`), and whether a password change marks the email
 * verified (`mark_verified`: null for the links Tessera emails itself).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('jobs')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('type', 'varchar(32)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('client_id', 'varchar(255)')
    .addColumn('connection_id', 'varchar(64)')
    .addColumn('connection', 'varchar(255)')
    .addColumn('payload', 'text')
    .addColumn('summary', 'text')
    .addColumn('errors', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('jobs_status').on('jobs').columns(['status', 'updated_at']).execute();
  await db.schema.alterTable('identity_tickets').addColumn('result_url', 'varchar(2048)').execute();
  await db.schema.alterTable('identity_tickets').addColumn('mark_verified', 'integer').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('identity_tickets').dropColumn('mark_verified').execute();
  await db.schema.alterTable('identity_tickets').dropColumn('result_url').execute();
  await db.schema.dropTable('jobs').ifExists().execute();
}
