import { managementErrors, UniqueViolation } from '../errors/index.js';
import type { Store } from '../store/db.js';
import { findResourceServer } from '../store/repos/resource-servers.js';
import { roleUsersPage } from '../store/repos/role-members.js';
import {
  addUserRoles,
  deleteRole,
  listRoles,
  newRoleId,
  type Permission,
  type Role,
  upsertRole,
} from '../store/repos/roles.js';
import { existingUserIds } from '../store/repos/users.js';

/**
 * RBAC roles as the Management API and the `tessera roles` CLI manage them
 * (spec section 12): thin functions over store/repos/roles.ts that throw
 * the Management API's coded errors. A change counts from the users' next
 * login or refresh (authorization is read then).
 */

/** A permission as the Management API lists it: with its API's name and the scope's description. */
export interface PermissionView extends Permission {
  resource_server_name: string;
  description: string;
}

/** 404 `inexistent_role`. */
export const roleNotFound = () => managementErrors.notFound('The role does not exist.', 'inexistent_role');

const key = (p: Permission) => `${p.resource_server_identifier}\n${p.permission_name}`;

/**
 * Checks permissions against the APIs: each must name an API that exists
 * and one of the scopes it defines (400 otherwise). Returns them without duplicates.
 */
export async function checkPermissions(store: Store, perms: Permission[]): Promise<Permission[]> {
  const seen = new Map<string, Permission>();
  for (const p of perms) {
    const rs = await findResourceServer(store.db, p.resource_server_identifier);
    if (!rs) throw managementErrors.invalidBody(`No API with identifier "${p.resource_server_identifier}"`);
    if (!rs.scopes.some((s) => s.value === p.permission_name))
      throw managementErrors.invalidBody(
        `API "${p.resource_server_identifier}" defines no scope "${p.permission_name}"`,
      );
    seen.set(key(p), p);
  }
  return [...seen.values()];
}

/** Permissions with their API's name and the scope's description. */
export async function permissionViews(store: Store, perms: Permission[]): Promise<PermissionView[]> {
  const out: PermissionView[] = [];
  for (const p of perms) {
    const rs = await findResourceServer(store.db, p.resource_server_identifier);
    out.push({
      ...p,
      resource_server_name: rs?.name ?? p.resource_server_identifier,
      description: rs?.scopes.find((s) => s.value === p.permission_name)?.description ?? '',
    });
  }
  return out;
}

/** Every role (by name), or those whose name contains `nameFilter` (case-insensitively). */
export async function listManagedRoles(store: Store, nameFilter?: string): Promise<Role[]> {
  const all = await listRoles(store.db);
  if (!nameFilter) return all;
  const f = nameFilter.toLowerCase();
  return all.filter((r) => r.name.toLowerCase().includes(f));
}

/** A role by id; 404 `inexistent_role` when there is none. */
export async function getManagedRole(store: Store, id: string): Promise<Role> {
  const role = (await listRoles(store.db)).find((r) => r.id === id);
  if (!role) throw roleNotFound();
  return role;
}

const nameTaken = () => managementErrors.conflict('A role with this name already exists.');

async function saveRole(store: Store, role: Role, now: number): Promise<Role> {
  const clash = (await listRoles(store.db)).find((r) => r.name === role.name && r.id !== role.id);
  if (clash) throw nameTaken();
  try {
    await upsertRole(store.db, role, now);
  } catch (err) {
    if (err instanceof UniqueViolation && err.table === 'roles') throw nameTaken();
    throw err;
  }
  return getManagedRole(store, role.id);
}

/** Creates a role without permissions; 409 when the name is taken. */
export async function createManagedRole(
  store: Store,
  input: { name: string; description?: string },
  now: number,
): Promise<Role> {
  return saveRole(store, { id: newRoleId(), ...input, permissions: [] }, now);
}

/** Renames a role or changes its description (null removes it). */
export async function updateManagedRole(
  store: Store,
  id: string,
  patch: { name?: string; description?: string | null },
  now: number,
): Promise<Role> {
  const role = await getManagedRole(store, id);
  const description = patch.description === null ? undefined : (patch.description ?? role.description);
  return saveRole(store, { ...role, name: patch.name ?? role.name, description }, now);
}

/** Deletes a role: its users lose its permissions. */
export async function deleteManagedRole(store: Store, id: string): Promise<void> {
  await getManagedRole(store, id);
  await deleteRole(store.db, id);
}

/** Gives a role permissions (checked against the APIs' scopes). */
export async function addRolePermissions(
  store: Store,
  id: string,
  perms: Permission[],
  now: number,
): Promise<void> {
  const role = await getManagedRole(store, id);
  const added = await checkPermissions(store, perms);
  await upsertRole(store.db, { ...role, permissions: [...role.permissions, ...added] }, now);
}

/** Takes permissions from a role (those it does not hold are ignored). */
export async function removeRolePermissions(
  store: Store,
  id: string,
  perms: Permission[],
  now: number,
): Promise<void> {
  const role = await getManagedRole(store, id);
  const drop = new Set(perms.map(key));
  await upsertRole(
    store.db,
    { ...role, permissions: role.permissions.filter((p) => !drop.has(key(p))) },
    now,
  );
}

/** One page of a role's users: `{user_id, email, name, picture}`. */
export async function managedRoleUsers(
  store: Store,
  id: string,
  page: { offset: number; limit: number },
): Promise<{ users: Record<string, unknown>[]; total: number }> {
  await getManagedRole(store, id);
  const { users, total } = await roleUsersPage(store.db, id, page);
  return {
    total,
    users: users.map((u) => {
      const profile = JSON.parse(u.profile) as { name?: string; picture?: string };
      return {
        user_id: u.user_id,
        ...(u.email ? { email: u.email } : {}),
        ...(profile.picture ? { picture: profile.picture } : {}),
        name: profile.name ?? u.email ?? u.user_id,
      };
    }),
  };
}

/** 404 `inexistent_user` unless every one of these users exists. */
export async function requireUsers(store: Store, userIds: string[]): Promise<void> {
  const found = await existingUserIds(store.db, userIds);
  if (userIds.some((u) => !found.has(u))) throw managementErrors.userNotFound();
}

/** Gives users a role. */
export async function assignRoleUsers(store: Store, roleId: string, userIds: string[]): Promise<void> {
  await getManagedRole(store, roleId);
  await requireUsers(store, userIds);
  for (const u of new Set(userIds)) await addUserRoles(store.db, u, [roleId]);
}
