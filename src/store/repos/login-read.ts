import { type Kysely, sql } from 'kysely';
import { compiled } from '../compiled.js';
import type { Database, UsersTable } from '../schema.js';
import { authorizationColumns, authorizationFromColumns, type UserAuthorization } from './roles.js';
import { fromRow, type UserWithSecret, userByIdentifierQuery } from './users.js';

/** What a password login reads before its hash, in one statement (findUserForLogin). */
export interface LoginUserRows {
  /** As findUserByIdentifier reads it. */
  user: UserWithSecret;
  /** The user's roles and permissions for the login's API, as userAuthorization reads them. */
  authorization: UserAuthorization;
}

/**
 * A password login's user read in one statement (one round trip): the user
 * by email or username in the connection (as findUserByIdentifier), with
 * the user's roles and permissions for the API `apiId` (as
 * userAuthorization; undefined: no API, so no permissions) in scalar
 * subqueries aggregating JSON arrays. Unknown user: undefined.
 *
 * The authorization is read before the password is checked, so that the
 * login needs no second read after it; a caller uses it only once the
 * password is right. Its cost falls inside the check's padded time
 * (identity/login-timing.ts), like the user lookup's.
 */
export async function findUserForLogin(
  db: Kysely<Database>,
  connectionId: string,
  identifier: string,
  apiId: string | undefined,
): Promise<LoginUserRows | undefined> {
  const result = await byIdentifierForLogin.execute(
    db,
    connectionId,
    identifier.toLowerCase(),
    apiId ?? null,
  );
  const row = result.rows[0] as
    | (UsersTable & Record<'authz_roles' | 'authz_permissions', unknown>)
    | undefined;
  if (!row) return undefined;
  const { authz_roles, authz_permissions, ...user } = row;
  return {
    user: fromRow(user),
    authorization: authorizationFromColumns(authz_roles, authz_permissions),
  };
}

// Every password login reads it: compiled once per database (store/compiled.ts). The user is
// users.ts's query by identifier; the authorization's columns are roles.ts's.
const byIdentifierForLogin = compiled((db, p) =>
  userByIdentifierQuery(db, p(0), p(1)).select(authorizationColumns(db, sql.ref('users.id'), p(2))),
);
