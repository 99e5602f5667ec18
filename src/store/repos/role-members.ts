import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/**
 * Who holds a role, and a user's roles with their ids (the Management API's
 * views; roles.ts has the writes and what a login reads).
 */

/** A role without its permissions. */
export interface RoleSummary {
  id: string;
  name: string;
  description: string | null;
}

/** One page of a role's users (user_id order) and how many hold it. */
export async function roleUsersPage(
  db: Kysely<Database>,
  roleId: string,
  page: { offset: number; limit: number },
): Promise<{ users: { user_id: string; email: string | null; profile: string }[]; total: number }> {
  const rows = await db
    .selectFrom('user_roles as ur')
    .innerJoin('users as u', 'u.id', 'ur.user_id')
    .select(['u.id as user_id', 'u.email', 'u.profile'])
    .where('ur.role_id', '=', roleId)
    .orderBy('u.id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  const count = await db
    .selectFrom('user_roles')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('role_id', '=', roleId)
    .executeTakeFirstOrThrow();
  return { users: rows, total: Number(count.n) };
}

/** A user's roles, by name. */
export async function userRoles(db: Kysely<Database>, userId: string): Promise<RoleSummary[]> {
  return db
    .selectFrom('user_roles as ur')
    .innerJoin('roles as r', 'r.id', 'ur.role_id')
    .select(['r.id', 'r.name', 'r.description'])
    .where('ur.user_id', '=', userId)
    .orderBy('r.name')
    .execute();
}

/** Which of these role ids exist. */
export async function existingRoleIds(db: Kysely<Database>, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('roles').select('id').where('id', 'in', ids).execute();
  return new Set(rows.map((r) => r.id));
}
