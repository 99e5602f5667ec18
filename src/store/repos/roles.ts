import { randomBytes } from 'node:crypto';
import { type Kysely, PostgresAdapter, type RawBuilder, sql } from 'kysely';
import { compiled } from '../compiled.js';
import type { Database } from '../schema.js';

/** A permission: one scope value of one API (Management API v2 names). */
export interface Permission {
  resource_server_identifier: string;
  permission_name: string;
}

export interface Role {
  id: string;
  name: string;
  description?: string;
  permissions: Permission[];
}

/** What a login knows of a user's authorization for one API. */
export interface UserAuthorization {
  /** The names of the user's roles, sorted. */
  roles: string[];
  /** The user's scope values for the API (from roles and direct), sorted and unique. */
  permissions: string[];
}

export function newRoleId(): string {
  return `rol_${randomBytes(12).toString('base64url')}`;
}

async function apiIds(db: Kysely<Database>, identifiers: string[]): Promise<Map<string, string>> {
  if (identifiers.length === 0) return new Map();
  const rows = await db
    .selectFrom('resource_servers')
    .select(['id', 'identifier'])
    .where('identifier', 'in', [...new Set(identifiers)])
    .execute();
  return new Map(rows.map((r) => [r.identifier, r.id]));
}

export async function listRoles(db: Kysely<Database>): Promise<Role[]> {
  const roles = await db.selectFrom('roles').selectAll().orderBy('name').execute();
  const perms = await db
    .selectFrom('role_permissions as p')
    .innerJoin('resource_servers as r', 'r.id', 'p.resource_server_id')
    .select(['p.role_id', 'r.identifier', 'p.permission_name'])
    .orderBy('r.identifier')
    .orderBy('p.permission_name')
    .execute();
  return roles.map((r) => ({
    id: r.id,
    name: r.name,
    ...(r.description !== null ? { description: r.description } : {}),
    permissions: perms
      .filter((p) => p.role_id === r.id)
      .map((p) => ({ resource_server_identifier: p.identifier, permission_name: p.permission_name })),
  }));
}

export async function findRoleByName(db: Kysely<Database>, name: string): Promise<Role | undefined> {
  return (await listRoles(db)).find((r) => r.name === name);
}

/**
 * Creates or replaces a role (keyed by id) with exactly these permissions.
 * Throws when a permission names an API that does not exist.
 */
export async function upsertRole(db: Kysely<Database>, role: Role, now: number): Promise<void> {
  const ids = await apiIds(
    db,
    role.permissions.map((p) => p.resource_server_identifier),
  );
  const missing = role.permissions.find((p) => !ids.has(p.resource_server_identifier));
  if (missing) throw new Error(`role ${role.name}: no API "${missing.resource_server_identifier}"`);
  const description = role.description ?? null;
  await db
    .insertInto('roles')
    .values({ id: role.id, name: role.name, description, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('id').doUpdateSet({ name: role.name, description, updated_at: now }))
    .execute();
  await db.deleteFrom('role_permissions').where('role_id', '=', role.id).execute();
  const rows = uniqueRows(
    role.permissions.map((p) => ({
      role_id: role.id,
      resource_server_id: ids.get(p.resource_server_identifier) as string,
      permission_name: p.permission_name,
    })),
  );
  if (rows.length > 0) await db.insertInto('role_permissions').values(rows).execute();
}

function uniqueRows<T extends { permission_name: string; resource_server_id: string }>(rows: T[]): T[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const k = `${r.resource_server_id}\n${r.permission_name}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Deletes a role; its permissions and its users' assignments go with it (foreign keys). */
export async function deleteRole(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('roles').where('id', '=', id).execute();
}

/** The names of a user's roles, sorted. */
export async function userRoleNames(db: Kysely<Database>, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('user_roles as ur')
    .innerJoin('roles as r', 'r.id', 'ur.role_id')
    .select('r.name')
    .where('ur.user_id', '=', userId)
    .orderBy('r.name')
    .execute();
  return rows.map((r) => r.name);
}

/** Makes the user hold exactly these roles (by id). */
export async function setUserRoles(db: Kysely<Database>, userId: string, roleIds: string[]): Promise<void> {
  await db.deleteFrom('user_roles').where('user_id', '=', userId).execute();
  const rows = [...new Set(roleIds)].map((role_id) => ({ user_id: userId, role_id }));
  if (rows.length > 0) await db.insertInto('user_roles').values(rows).execute();
}

export async function addUserRoles(db: Kysely<Database>, userId: string, roleIds: string[]): Promise<void> {
  for (const role_id of new Set(roleIds)) {
    await db
      .insertInto('user_roles')
      .values({ user_id: userId, role_id })
      .onConflict((oc) => oc.columns(['user_id', 'role_id']).doNothing())
      .execute();
  }
}

export async function removeUserRoles(
  db: Kysely<Database>,
  userId: string,
  roleIds: string[],
): Promise<void> {
  if (roleIds.length === 0) return;
  await db.deleteFrom('user_roles').where('user_id', '=', userId).where('role_id', 'in', roleIds).execute();
}

/** The user's direct permissions (not through roles). */
export async function userDirectPermissions(db: Kysely<Database>, userId: string): Promise<Permission[]> {
  const rows = await db
    .selectFrom('user_permissions as p')
    .innerJoin('resource_servers as r', 'r.id', 'p.resource_server_id')
    .select(['r.identifier', 'p.permission_name'])
    .where('p.user_id', '=', userId)
    .orderBy('r.identifier')
    .orderBy('p.permission_name')
    .execute();
  return rows.map((r) => ({ resource_server_identifier: r.identifier, permission_name: r.permission_name }));
}

/** Makes the user hold exactly these direct permissions. Throws for an unknown API. */
export async function setUserPermissions(
  db: Kysely<Database>,
  userId: string,
  permissions: Permission[],
): Promise<void> {
  const ids = await apiIds(
    db,
    permissions.map((p) => p.resource_server_identifier),
  );
  const missing = permissions.find((p) => !ids.has(p.resource_server_identifier));
  if (missing) throw new Error(`user ${userId}: no API "${missing.resource_server_identifier}"`);
  await db.deleteFrom('user_permissions').where('user_id', '=', userId).execute();
  const rows = uniqueRows(
    permissions.map((p) => ({
      user_id: userId,
      resource_server_id: ids.get(p.resource_server_identifier) as string,
      permission_name: p.permission_name,
    })),
  );
  if (rows.length > 0) await db.insertInto('user_permissions').values(rows).execute();
}

/**
 * A user's roles and permissions for one API (none when `apiId` is absent):
 * two indexed queries, read at every login and refresh so a removed role
 * stops counting at once.
 */
export async function userAuthorization(
  db: Kysely<Database>,
  userId: string,
  apiId: string | undefined,
): Promise<UserAuthorization> {
  // One statement (one round trip): the role names, then the API's permissions, direct or by role.
  const rows = (await authorizationQuery.execute(db, userId, apiId ?? null)).rows;
  return authorizationOf(
    rows.filter((r) => r.kind === 'r').map((r) => r.value),
    rows.filter((r) => r.kind === 'p').map((r) => r.value),
  );
}

/** A user's authorization from the role names and permissions read (in any order, with repeats). */
export function authorizationOf(roles: string[], permissions: string[]): UserAuthorization {
  return { roles: roles.sort(), permissions: [...new Set(permissions)].sort() };
}

/**
 * The names of the roles of `user` (a value, or a column reference of an
 * outer query), as column `value`.
 */
export function roleNamesOf(db: Kysely<Database>, user: unknown) {
  return db
    .selectFrom('user_roles as ur')
    .innerJoin('roles as r', 'r.id', 'ur.role_id')
    .select('r.name as value')
    .where('ur.user_id', '=', user as string);
}

/**
 * The permissions `user` holds on API `api`, directly or by a role (with
 * repeats), as column `value`; each a value or a column reference of an
 * outer query. A null API matches none.
 */
export function permissionNamesOf(db: Kysely<Database>, user: unknown, api: unknown) {
  return db
    .selectFrom('user_permissions as up')
    .select('up.permission_name as value')
    .where('up.user_id', '=', user as string)
    .where('up.resource_server_id', '=', api as string)
    .unionAll(
      // The user's roles first, then each role's permissions on the API (role_permissions'
      // key): SQLite's planner, without statistics, would otherwise walk every permission of
      // the API and look each one's role up in the user's, a cost that grows with the
      // tenant's roles rather than the user's. A CROSS JOIN keeps SQLite's loops in this
      // order; PostgreSQL plans it like the inner join it is.
      db
        .selectFrom('user_roles as ur2')
        .crossJoin('role_permissions as rp')
        .select('rp.permission_name as value')
        .whereRef('rp.role_id', '=', 'ur2.role_id')
        .where('ur2.user_id', '=', user as string)
        .where('rp.resource_server_id', '=', api as string),
    );
}

/**
 * The user's authorization as two columns of a query that reads the user in
 * the same statement (`user`, a column reference of it): `authz_roles`, the
 * role names, and `authz_permissions`, the permissions on API `api` (a value
 * or a column reference), each a JSON array; `authorizationFromColumns`
 * reads them back as userAuthorization would.
 */
export function authorizationColumns(db: Kysely<Database>, user: unknown, api: unknown) {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  const agg = (value: RawBuilder<unknown>) =>
    pg ? sql`coalesce(json_agg(${value}), '[]'::json)` : sql`json_group_array(${value})`;
  return [
    sql<unknown>`(SELECT ${agg(sql.ref('x.value'))} FROM (${roleNamesOf(db, user)}) x)`.as('authz_roles'),
    sql<unknown>`(SELECT ${agg(sql.ref('y.value'))} FROM (${permissionNamesOf(db, user, api)}) y)`.as(
      'authz_permissions',
    ),
  ] as const;
}

/** `authorizationColumns`' two columns as a UserAuthorization (PostgreSQL's driver parses json; SQLite answers its text). */
export function authorizationFromColumns(roles: unknown, permissions: unknown): UserAuthorization {
  const array = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v) as string[];
  return authorizationOf(array(roles), array(permissions));
}

// Read at every login and refresh: compiled once (store/compiled.ts).
const authorizationQuery = compiled((db, p) =>
  db
    .selectFrom(roleNamesOf(db, p(0)).as('x'))
    .select([sql<string>`'r'`.as('kind'), 'x.value'])
    .unionAll(
      db
        .selectFrom(permissionNamesOf(db, p(0), p(1)).as('y'))
        .select([sql<string>`'p'`.as('kind'), 'y.value']),
    ),
);
