import type { Kysely } from 'kysely';

/**
 * RBAC: roles hold permissions (an API + one of its scope values); users hold
 * roles and direct permissions. Foreign keys cascade, so deleting a user, a
 * role or an API takes its assignments with it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('roles')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('description', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('role_permissions')
    .addColumn('role_id', 'varchar(64)', (c) => c.notNull().references('roles.id').onDelete('cascade'))
    .addColumn('resource_server_id', 'varchar(64)', (c) =>
      c.notNull().references('resource_servers.id').onDelete('cascade'),
    )
    .addColumn('permission_name', 'varchar(280)', (c) => c.notNull())
    .addPrimaryKeyConstraint('role_permissions_pk', ['role_id', 'resource_server_id', 'permission_name'])
    .execute();
  await db.schema
    .createIndex('role_permissions_api')
    .on('role_permissions')
    .column('resource_server_id')
    .execute();
  await db.schema
    .createTable('user_roles')
    .addColumn('user_id', 'varchar(255)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role_id', 'varchar(64)', (c) => c.notNull().references('roles.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('user_roles_pk', ['user_id', 'role_id'])
    .execute();
  await db.schema.createIndex('user_roles_role').on('user_roles').column('role_id').execute();
  await db.schema
    .createTable('user_permissions')
    .addColumn('user_id', 'varchar(255)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('resource_server_id', 'varchar(64)', (c) =>
      c.notNull().references('resource_servers.id').onDelete('cascade'),
    )
    .addColumn('permission_name', 'varchar(280)', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_permissions_pk', ['user_id', 'resource_server_id', 'permission_name'])
    .execute();
  await db.schema
    .createIndex('user_permissions_api')
    .on('user_permissions')
    .column('resource_server_id')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['user_permissions', 'user_roles', 'role_permissions', 'roles'])
    await db.schema.dropTable(t).ifExists().execute();
}
