import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql } from 'kysely';
import type { DialectName } from '../db.js';
import type { Database } from '../schema.js';
import { fromRow, type UserWithSecret } from './users.js';

/**
 * A user search (the Lucene subset of spec section 11) as a tree the store
 * turns into a WHERE clause. Values are always bound parameters; JSON paths
 * are made of keys the parser checked (letters, digits, `_`, `-`).
 */
export type SearchTarget =
  /** email or username: matched on the lower-cased column, with a lower-cased value. */
  | { kind: 'lower'; column: 'email_lower' | 'username_lower' }
  | { kind: 'column'; column: 'id' }
  | { kind: 'number'; column: 'logins_count' }
  | { kind: 'flag'; column: 'blocked' | 'email_verified' }
  /** A key inside a JSON column: `profile` (name, nickname…), `app_metadata`, `user_metadata`. */
  | { kind: 'json'; column: 'profile' | 'app_metadata' | 'user_metadata'; path: string[] };

export type SearchNode =
  | { op: 'and' | 'or'; items: SearchNode[] }
  | { op: 'not'; item: SearchNode }
  | { op: 'eq'; target: SearchTarget; value: string | number | boolean }
  | { op: 'prefix'; target: SearchTarget; value: string }
  | { op: 'range'; target: SearchTarget; gt?: number; gte?: number; lt?: number; lte?: number };

/** The columns a search may sort by. */
export const SORT_COLUMNS = {
  user_id: 'id',
  email: 'email_lower',
  username: 'username_lower',
  created_at: 'created_at',
  updated_at: 'updated_at',
  last_login: 'last_login',
  logins_count: 'logins_count',
} as const;
export type SortField = keyof typeof SORT_COLUMNS;

type EB = ExpressionBuilder<Database, 'users'>;

/** The text value at a JSON path of a column (`true`/`false` for booleans, numbers as text). */
function jsonText(dialect: DialectName, column: string, path: string[]): Expression<string | null> {
  const col = sql.ref(`users.${column}`);
  if (dialect === 'postgres') return sql<string | null>`(${col}::jsonb #>> ${`{${path.join(',')}}`}::text[])`;
  const p = `$.${path.map((k) => `"${k}"`).join('.')}`;
  return sql<
    string | null
  >`(case json_type(${col}, ${p}) when 'true' then 'true' when 'false' then 'false' when 'object' then null when 'array' then null else cast(json_extract(${col}, ${p}) as text) end)`;
}

function targetValue(dialect: DialectName, t: SearchTarget): Expression<unknown> {
  if (t.kind === 'json') return jsonText(dialect, t.column, t.path);
  return sql.ref(`users.${t.column}`);
}

function condition(dialect: DialectName, eb: EB, node: SearchNode): Expression<SqlBool> {
  switch (node.op) {
    case 'and':
      return eb.and(node.items.map((n) => condition(dialect, eb, n)));
    case 'or':
      return eb.or(node.items.map((n) => condition(dialect, eb, n)));
    case 'not': {
      // NOT of a condition on a missing value is true in Lucene (SQL's NULL is neither).
      const inner = condition(dialect, eb, node.item);
      return sql<SqlBool>`not coalesce(${inner}, false)`;
    }
    case 'eq': {
      const v = node.target.kind === 'flag' ? (node.value === true ? 1 : 0) : node.value;
      return sql<SqlBool>`${targetValue(dialect, node.target)} = ${v}`;
    }
    case 'prefix': {
      const n = [...node.value].length;
      return sql<SqlBool>`substr(${targetValue(dialect, node.target)}, 1, cast(${n} as integer)) = ${node.value}`;
    }
    case 'range': {
      const x = targetValue(dialect, node.target);
      const parts: Expression<SqlBool>[] = [];
      if (node.gt !== undefined) parts.push(sql<SqlBool>`${x} > ${node.gt}`);
      if (node.gte !== undefined) parts.push(sql<SqlBool>`${x} >= ${node.gte}`);
      if (node.lt !== undefined) parts.push(sql<SqlBool>`${x} < ${node.lt}`);
      if (node.lte !== undefined) parts.push(sql<SqlBool>`${x} <= ${node.lte}`);
      return parts.length === 0 ? sql<SqlBool>`${x} is not null` : eb.and(parts);
    }
  }
}

export interface UserSearch {
  where?: SearchNode;
  sort?: { field: SortField; descending: boolean };
  offset: number;
  limit: number;
}

/** One page of the users matching a search, and how many match in all. */
export async function searchUsers(
  db: Kysely<Database>,
  dialect: DialectName,
  search: UserSearch,
): Promise<{ users: UserWithSecret[]; total: number }> {
  const where = search.where;
  const base = () => {
    const q = db.selectFrom('users');
    return where ? q.where((eb) => condition(dialect, eb, where)) : q;
  };
  let q = base().selectAll();
  if (search.sort) {
    const col = SORT_COLUMNS[search.sort.field];
    const descending = search.sort.descending;
    // Users without the value come last either way, on both databases.
    q = q.orderBy(col, (ob) => (descending ? ob.desc() : ob.asc()).nullsLast());
  }
  const rows = await q.orderBy('id').limit(search.limit).offset(search.offset).execute();
  const count = await base()
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return { users: rows.map(fromRow), total: Number(count.n) };
}

/** The users whose email is this one, case-insensitively (every connection), in user_id order. */
export async function findUsersByEmail(db: Kysely<Database>, email: string): Promise<UserWithSecret[]> {
  const rows = await db
    .selectFrom('users')
    .selectAll()
    .where('email_lower', '=', email.toLowerCase())
    .orderBy('id')
    .execute();
  return rows.map(fromRow);
}
