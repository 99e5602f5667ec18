import type { Kysely } from 'kysely';

/** MFA: authenticators, pending logins (MFA transactions), OOB challenges, the attempt bucket. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('mfa_authenticators')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('type', 'varchar(32)', (c) => c.notNull())
    .addColumn('name', 'varchar(512)')
    .addColumn('secret_enc', 'text')
    .addColumn('code_hash', 'varchar(128)')
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_step', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('mfa_authenticators_user').on('mfa_authenticators').column('user_id').execute();

  await db.schema
    .createTable('mfa_transactions')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('token_hash', 'varchar(128)', (c) => c.notNull().unique())
    .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('client_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('login', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('completed_at', 'bigint')
    .execute();

  await db.schema
    .createTable('mfa_challenges')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('oob_hash', 'varchar(128)', (c) => c.notNull().unique())
    .addColumn('transaction_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('authenticator_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('binding_hash', 'varchar(128)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('last_poll_at', 'bigint')
    .addColumn('used_at', 'bigint')
    .execute();

  await db.schema
    .createTable('mfa_attempts')
    .addColumn('user_id', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('tokens', 'double precision', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['mfa_attempts', 'mfa_challenges', 'mfa_transactions', 'mfa_authenticators']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
