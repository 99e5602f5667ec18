import type { Store } from '../store/db.js';
import { listConnections } from '../store/repos/connections.js';
import { findUsersByEmail, searchUsers } from '../store/repos/user-search.js';
import type { UserWithSecret } from '../store/repos/users.js';
import type { ManagedUser } from './manage-users.js';
import { parseUserQuery, parseUserSort } from './user-search.js';
import { withoutSecret } from './users.js';

/** What GET /users asks for: an optional Lucene `q`, an optional `sort`, a page. */
export interface UserSearchRequest {
  q?: string;
  sort?: string;
  offset: number;
  limit: number;
}

async function managed(store: Store, rows: UserWithSecret[]): Promise<ManagedUser[]> {
  const names = new Map((await listConnections(store.db)).map((c) => [c.id, c.name]));
  return rows.map((u) => ({
    user: withoutSecret(u),
    connection: names.get(u.connection_id) ?? u.connection_id,
  }));
}

/**
 * One page of the users a search matches (all users without `q`, in
 * user_id order unless `sort` says otherwise) and how many match in all.
 * A `q` or `sort` outside the supported subset is a 400 (user-search.ts).
 */
export async function searchManagedUsers(
  store: Store,
  req: UserSearchRequest,
): Promise<{ users: ManagedUser[]; total: number }> {
  const where = req.q === undefined || req.q.trim() === '' ? undefined : parseUserQuery(req.q);
  const sort = req.sort === undefined ? undefined : parseUserSort(req.sort);
  const { users, total } = await searchUsers(store.db, store.dialect, {
    where,
    sort,
    offset: req.offset,
    limit: req.limit,
  });
  return { users: await managed(store, users), total };
}

/** The users with this email (exact, case-insensitive), in every connection. */
export async function managedUsersByEmail(store: Store, email: string): Promise<ManagedUser[]> {
  return managed(store, await findUsersByEmail(store.db, email));
}
