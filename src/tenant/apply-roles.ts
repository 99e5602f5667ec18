import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import {
  deleteRole,
  listRoles,
  newRoleId,
  type Permission,
  setUserPermissions,
  setUserRoles,
  upsertRole,
  userDirectPermissions,
  userRoleNames,
} from '../store/repos/roles.js';
import type { ApplyReport } from './apply.js';
import { canonical } from './apply-users.js';
import type { TenantDoc } from './schema.js';

type Db = Kysely<Database>;

const permKey = (p: Permission) => `${p.resource_server_identifier}\n${p.permission_name}`;
const samePerms = (a: Permission[], b: Permission[]) =>
  canonical(a.map(permKey).sort()) === canonical(b.map(permKey).sort());

/** Applies `roles` (keyed by name); with prune, roles the file does not name are deleted. */
export async function applyRoles(
  trx: Db,
  doc: TenantDoc,
  prune: boolean,
  now: number,
  report: ApplyReport,
): Promise<void> {
  if (!doc.roles) return;
  const stored = new Map((await listRoles(trx)).map((r) => [r.name, r]));
  for (const r of doc.roles) {
    const old = stored.get(r.name);
    const permissions = r.permissions ?? [];
    if (
      old &&
      (old.description ?? null) === (r.description ?? null) &&
      samePerms(old.permissions, permissions)
    ) {
      report.unchanged++;
      continue;
    }
    await upsertRole(
      trx,
      { id: old?.id ?? newRoleId(), name: r.name, description: r.description, permissions },
      now,
    );
    (old ? report.updated : report.created).push(`role ${r.name}`);
  }
  if (prune) {
    const named = new Set(doc.roles.map((r) => r.name));
    for (const [name, old] of stored) {
      if (named.has(name)) continue;
      await deleteRole(trx, old.id);
      report.deleted.push(`role ${name}`);
    }
  }
}

/**
 * Gives each user of the file that has `roles` or `permissions` exactly those.
 * A user this apply created is reported once, as created: its roles and
 * permissions are part of it, not an update of it.
 */
export async function applyUserAuthorization(
  trx: Db,
  doc: TenantDoc,
  userIds: string[],
  report: ApplyReport,
): Promise<void> {
  if (!doc.users) return;
  const roleIds = new Map((await listRoles(trx)).map((r) => [r.name, r.id]));
  const created = new Set(report.created);
  for (const [i, u] of doc.users.entries()) {
    const userId = userIds[i];
    const changed = (what: string) => {
      if (!created.has(`user ${userId}`)) report.updated.push(`${what} of user ${userId}`);
    };
    if (u.roles) {
      const old = await userRoleNames(trx, userId);
      const want = [...new Set(u.roles)].sort();
      if (canonical(old) !== canonical(want)) {
        await setUserRoles(
          trx,
          userId,
          want.map((n) => roleIds.get(n) as string),
        );
        changed('roles');
      }
    }
    if (u.permissions) {
      const old = await userDirectPermissions(trx, userId);
      if (!samePerms(old, u.permissions)) {
        await setUserPermissions(trx, userId, u.permissions);
        changed('permissions');
      }
    }
  }
}
