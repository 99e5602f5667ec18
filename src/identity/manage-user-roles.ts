import { managementErrors } from '../errors/index.js';
import type { Store } from '../store/db.js';
import { existingRoleIds, type RoleSummary, userRoles } from '../store/repos/role-members.js';
import {
  addUserRoles,
  listRoles,
  type Permission,
  removeUserRoles,
  setUserPermissions,
  userDirectPermissions,
} from '../store/repos/roles.js';
import { checkPermissions, type PermissionView, permissionViews, requireUsers } from './manage-roles.js';

/**
 * A user's roles and direct permissions through the Management API
 * (spec section 12). They count from the user's next login or refresh.
 */

/** Where a user's permission comes from (Auth0's `sources`). */
export interface PermissionSource {
  source_id: string;
  source_name: string;
  source_type: 'DIRECT' | 'ROLE';
}

const key = (p: Permission) => `${p.resource_server_identifier}\n${p.permission_name}`;

/** A user's roles `{id, name, description}`; 404 for an unknown user. */
export async function managedUserRoles(store: Store, userId: string): Promise<RoleSummary[]> {
  await requireUsers(store, [userId]);
  return userRoles(store.db, userId);
}

async function requireRoles(store: Store, roleIds: string[]): Promise<void> {
  const found = await existingRoleIds(store.db, roleIds);
  const missing = roleIds.find((r) => !found.has(r));
  if (missing !== undefined) throw managementErrors.invalidBody(`The role "${missing}" does not exist.`);
}

/** Gives a user roles (each must exist: 400 otherwise). */
export async function assignUserRoles(store: Store, userId: string, roleIds: string[]): Promise<void> {
  await requireUsers(store, [userId]);
  await requireRoles(store, roleIds);
  await addUserRoles(store.db, userId, roleIds);
}

/** Takes roles from a user (those it does not hold are ignored). */
export async function unassignUserRoles(store: Store, userId: string, roleIds: string[]): Promise<void> {
  await requireUsers(store, [userId]);
  await removeUserRoles(store.db, userId, roleIds);
}

/**
 * Every permission a user holds, directly or through a role, each once
 * with its `sources`, in API then name order.
 */
export async function managedUserPermissions(
  store: Store,
  userId: string,
): Promise<(PermissionView & { sources: PermissionSource[] })[]> {
  await requireUsers(store, [userId]);
  const held = new Map<string, { p: Permission; sources: PermissionSource[] }>();
  const add = (p: Permission, s: PermissionSource) => {
    const entry = held.get(key(p)) ?? { p, sources: [] };
    entry.sources.push(s);
    held.set(key(p), entry);
  };
  for (const p of await userDirectPermissions(store.db, userId))
    add(p, { source_id: '', source_name: '', source_type: 'DIRECT' });
  const mine = new Set((await userRoles(store.db, userId)).map((r) => r.id));
  for (const role of await listRoles(store.db)) {
    if (!mine.has(role.id)) continue;
    for (const p of role.permissions)
      add(p, { source_id: role.id, source_name: role.name, source_type: 'ROLE' });
  }
  const entries = [...held.values()].sort((a, b) => (key(a.p) < key(b.p) ? -1 : key(a.p) > key(b.p) ? 1 : 0));
  const views = await permissionViews(
    store,
    entries.map((e) => e.p),
  );
  return views.map((v, i) => ({ ...v, sources: entries[i]?.sources ?? [] }));
}

/** Gives a user direct permissions (checked against the APIs' scopes). */
export async function assignUserPermissions(
  store: Store,
  userId: string,
  perms: Permission[],
): Promise<void> {
  await requireUsers(store, [userId]);
  const added = await checkPermissions(store, perms);
  const current = await userDirectPermissions(store.db, userId);
  await setUserPermissions(store.db, userId, [...current, ...added]);
}

/** Takes direct permissions from a user (those it does not hold are ignored). */
export async function removeUserPermissions(
  store: Store,
  userId: string,
  perms: Permission[],
): Promise<void> {
  await requireUsers(store, [userId]);
  const drop = new Set(perms.map(key));
  const current = await userDirectPermissions(store.db, userId);
  await setUserPermissions(
    store.db,
    userId,
    current.filter((p) => !drop.has(key(p))),
  );
}
