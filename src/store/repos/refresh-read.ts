import { type Kysely, sql } from 'kysely';
import { compiled } from '../compiled.js';
import { batched } from '../pg-batch.js';
import type { Database, UsersTable } from '../schema.js';
import type { RefreshTokenRow } from './refresh-tokens.js';
import { authorizationColumns, authorizationFromColumns, type UserAuthorization } from './roles.js';
import { fromRow, type UserWithSecret } from './users.js';

/** Every column of `users`, read with a token, each as `u_<column>`. */
const USER_COLUMNS = [
  'id',
  'connection_id',
  'email',
  'email_lower',
  'username',
  'username_lower',
  'password_hash',
  'hash_profile',
  'email_verified',
  'blocked',
  'profile',
  'app_metadata',
  'user_metadata',
  'logins_count',
  'last_login',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof UsersTable)[];
// A column added to users and not here fails to compile: the user read must be whole.
type MissingUserColumn = Exclude<keyof UsersTable, (typeof USER_COLUMNS)[number]>;
const _everyUserColumn: [MissingUserColumn] extends [never] ? true : never = true;

/** What a refresh reads before anything else, in one statement (findRefreshTokenForGrant). */
export interface RefreshGrantRows {
  /** As findRefreshTokenByHash reads it. */
  token: RefreshTokenRow;
  /** The token's user as findUserById reads it; undefined: deleted. */
  user: UserWithSecret | undefined;
  /**
   * The user's authorization as userAuthorization reads it, for the stored
   * resource server whose identifier is the token's audience: `apiId` is
   * that server's id (null: none, then no permissions). It holds for the
   * API a caller resolved only if that API has this id.
   */
  authorization: UserAuthorization & { apiId: string | null };
}

/**
 * A refresh's reads in one statement (one round trip): the token by hash,
 * its user (LEFT JOIN: a deleted user is no user), and the user's roles and
 * permissions for the token's API (scalar subqueries aggregating JSON
 * arrays). The joined row is split back into the rows the reads of their
 * own give. On PostgreSQL the reads of the refreshes of the same turns are
 * one statement (store/pg-batch.ts).
 */
export function findRefreshTokenForGrant(
  db: Kysely<Database>,
  hash: string,
): Promise<RefreshGrantRows | undefined> {
  return readForGrant(db, hash);
}

const readForGrant = batched<string, RefreshGrantRows | undefined>({
  async one(db, hash) {
    const row = (await byHashForGrant.execute(db, hash)).rows[0] as Record<string, unknown> | undefined;
    return row && grantRows(row);
  },
  async many(db, hashes) {
    const { rows } = await byHashesForGrant.execute(db, hashes);
    const found = new Map<unknown, RefreshGrantRows>();
    for (const row of rows as Record<string, unknown>[]) found.set(row.token_hash, grantRows(row));
    return hashes.map((hash) => found.get(hash));
  },
});

/** One row of grantQuery split into the rows the reads of their own give. */
function grantRows(row: Record<string, unknown>): RefreshGrantRows {
  const { authz_api, authz_roles, authz_permissions, ...rest } = row;
  const token: Record<string, unknown> = {};
  const user: Record<string, unknown> = {};
  // No column of refresh_tokens starts with `u_`.
  for (const [key, value] of Object.entries(rest)) {
    if (key.startsWith('u_')) user[key.slice(2)] = value;
    else token[key] = value;
  }
  return {
    token: token as unknown as RefreshTokenRow,
    user: user.id === null ? undefined : fromRow(user as unknown as UsersTable),
    authorization: {
      apiId: (authz_api as string | null) ?? null,
      ...authorizationFromColumns(authz_roles, authz_permissions),
    },
  };
}

/** The token, its user and the authorization, joined; the caller adds which token(s). */
const grantQuery = (db: Kysely<Database>) =>
  db
    .selectFrom('refresh_tokens as t')
    .leftJoin('users as u', 'u.id', 't.user_id')
    .leftJoin('resource_servers as rs', 'rs.identifier', 't.audience')
    .selectAll('t')
    .select(USER_COLUMNS.map((c) => `u.${c} as u_${c}` as const))
    .select('rs.id as authz_api')
    .select(authorizationColumns(db, sql.ref('t.user_id'), sql.ref('rs.id')));

// Every refresh reads it: compiled once per database (store/compiled.ts). The authorization's
// columns are roles.ts's, correlated with the token's user and API.
const byHashForGrant = compiled((db, p) => grantQuery(db).where('t.token_hash', '=', p(0)));

// PostgreSQL only: the same for an array of hashes (a batch).
const byHashesForGrant = compiled((db, p) =>
  grantQuery(db).where(sql<boolean>`t.token_hash = ANY(${p(0)}::text[])`),
);
