import { type Kysely, PostgresAdapter } from 'kysely';

/** The first schema: tenant configuration, users, signing keys and the audit log. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('settings')
    .addColumn('key', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('connections')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('strategy', 'varchar(64)', (c) => c.notNull())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('resource_servers')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('identifier', 'varchar(1024)', (c) => c.notNull().unique())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('clients')
    .addColumn('client_id', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('secret_hash', 'varchar(255)')
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('id', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('connection_id', 'varchar(64)', (c) =>
      c.notNull().references('connections.id').onDelete('cascade'),
    )
    .addColumn('email', 'varchar(512)')
    .addColumn('email_lower', 'varchar(512)')
    .addColumn('username', 'varchar(255)')
    .addColumn('username_lower', 'varchar(255)')
    .addColumn('password_hash', 'text')
    .addColumn('email_verified', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('blocked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('profile', 'text', (c) => c.notNull())
    .addColumn('app_metadata', 'text', (c) => c.notNull())
    .addColumn('user_metadata', 'text', (c) => c.notNull())
    .addColumn('logins_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_login', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('users_connection_email')
    .on('users')
    .columns(['connection_id', 'email_lower'])
    .unique()
    .execute();
  await db.schema
    .createIndex('users_connection_username')
    .on('users')
    .columns(['connection_id', 'username_lower'])
    .unique()
    .execute();

  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('alg', 'varchar(16)', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('private_enc', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('activates_at', 'bigint', (c) => c.notNull())
    .addColumn('retired_at', 'bigint')
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('seq', isPostgres(db) ? 'bigserial' : 'integer', (c) =>
      isPostgres(db) ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('id', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('date', 'bigint', (c) => c.notNull())
    .addColumn('type', 'varchar(32)', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('client_id', 'varchar(255)')
    .addColumn('client_name', 'varchar(255)')
    .addColumn('connection', 'varchar(255)')
    .addColumn('connection_id', 'varchar(64)')
    .addColumn('user_id', 'varchar(255)')
    .addColumn('user_name', 'varchar(512)')
    .addColumn('ip', 'varchar(64)')
    .addColumn('client_ip', 'varchar(64)')
    .addColumn('user_agent', 'text')
    .addColumn('details', 'text')
    .execute();
  await db.schema.createIndex('events_date').on('events').column('date').execute();
  await db.schema.createIndex('events_user').on('events').columns(['user_id', 'date']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'events',
    'signing_keys',
    'users',
    'clients',
    'resource_servers',
    'connections',
    'settings',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}

function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}
