import { type Kysely, sql } from 'kysely';
import { compiled } from '../compiled.js';
import { batched, columnArrays, unnestRows } from '../pg-batch.js';
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
export function findUserForLogin(
  db: Kysely<Database>,
  connectionId: string,
  identifier: string,
  apiId: string | undefined,
): Promise<LoginUserRows | undefined> {
  return readForLogin(db, { connectionId, lower: identifier.toLowerCase(), apiId: apiId ?? null });
}

interface LoginLookup {
  connectionId: string;
  /** The identifier, lowercased. */
  lower: string;
  apiId: string | null;
}

type LoginRow = UsersTable & Record<'authz_roles' | 'authz_permissions', unknown>;

/** A row of either query as the rows the reads of their own give. */
function loginRows(row: LoginRow): LoginUserRows {
  const { authz_roles, authz_permissions, ...user } = row;
  return {
    user: fromRow(user),
    authorization: authorizationFromColumns(authz_roles, authz_permissions),
  };
}

// On PostgreSQL the logins of the same turns read their users in one statement (store/pg-batch.ts).
const readForLogin = batched<LoginLookup, LoginUserRows | undefined>({
  async one(db, { connectionId, lower, apiId }) {
    const row = (await byIdentifierForLogin.execute(db, connectionId, lower, apiId)).rows[0];
    return row && loginRows(row as LoginRow);
  },
  async many(db, lookups) {
    const values = lookups.map((l) => [l.connectionId, l.lower, l.apiId]);
    const { rows } = await byIdentifiersForLogin.execute(db, ...columnArrays(values, 3));
    // As alone, the first row a lookup matched (an identifier is one user's email or username).
    const found = new Map<number, LoginUserRows>();
    for (const { ord, ...row } of rows as (LoginRow & { ord: string })[]) {
      if (!found.has(Number(ord))) found.set(Number(ord), loginRows(row));
    }
    return lookups.map((_, i) => found.get(i + 1));
  },
});

// Every password login reads it: compiled once per database (store/compiled.ts). The user is
// users.ts's query by identifier; the authorization's columns are roles.ts's.
const byIdentifierForLogin = compiled((db, p) =>
  userByIdentifierQuery(db, p(0), p(1)).select(authorizationColumns(db, sql.ref('users.id'), p(2))),
);

// PostgreSQL only: the same for arrays of connections, identifiers and APIs (a batch), each row
// numbered with its lookup (`ord`, from 1). Each lookup is the query alone, as a LATERAL subquery (run
// per lookup through the connection's email and username indexes, whatever the planner thinks of
// the table's size), with its first row as alone.
const byIdentifiersForLogin = compiled((db, p) => {
  const user = userByIdentifierQuery(db, sql.ref('i.conn'), sql.ref('i.lower')).limit(1);
  const query = sql`
    SELECT i.ord, u.*, ${sql.join(authorizationColumns(db, sql.ref('u.id'), sql.ref('i.api')))}
    FROM ${unnestRows(p, 'i', [
      ['conn', 'text'],
      ['lower', 'text'],
      ['api', 'text'],
    ])}
    CROSS JOIN LATERAL (${user}) AS u`;
  return { compile: () => query.compile(db) };
});
