import { type Kysely, sql } from 'kysely';
import { compiled } from '../compiled.js';
import { hashProfile } from '../hash-profile.js';
import type { Database, UsersTable } from '../schema.js';

/** Profile attributes kept in the `profile` JSON column (OIDC standard claims). */
export interface UserProfile {
  name?: string;
  nickname?: string;
  picture?: string;
  given_name?: string;
  family_name?: string;
  [extra: string]: unknown;
}

/** A user of a database connection, with Auth0's field names. */
export interface User {
  user_id: string;
  connection_id: string;
  email: string | null;
  username: string | null;
  email_verified: boolean;
  blocked: boolean;
  profile: UserProfile;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  logins_count: number;
  last_login: number | null;
  created_at: number;
  updated_at: number;
}

/** A user with its stored password hash: never leaves the identity layer. */
export interface UserWithSecret extends User {
  password_hash: string | null;
}

/** A row of `users` as a User (with its hash). */
export function fromRow(row: UsersTable): UserWithSecret {
  return {
    user_id: row.id,
    connection_id: row.connection_id,
    email: row.email,
    username: row.username,
    email_verified: row.email_verified === 1,
    blocked: row.blocked === 1,
    profile: JSON.parse(row.profile),
    app_metadata: JSON.parse(row.app_metadata),
    user_metadata: JSON.parse(row.user_metadata),
    logins_count: row.logins_count,
    last_login: row.last_login,
    created_at: row.created_at,
    updated_at: row.updated_at,
    password_hash: row.password_hash,
  };
}

/** Finds a user of one connection by email or username, case-insensitively. */
export async function findUserByIdentifier(
  db: Kysely<Database>,
  connectionId: string,
  identifier: string,
): Promise<UserWithSecret | undefined> {
  const lower = identifier.toLowerCase();
  const row = (await byIdentifier.execute(db, connectionId, lower)).rows[0];
  return row ? fromRow(row) : undefined;
}

export async function findUserById(
  db: Kysely<Database>,
  userId: string,
): Promise<UserWithSecret | undefined> {
  const row = (await byId.execute(db, userId)).rows[0];
  return row ? fromRow(row) : undefined;
}

/**
 * The query of a connection's user by email or username (`lower`, already
 * lowercased; each a value or a compiled query's argument): every column of
 * `users`, for a caller to add to (login-read.ts adds the authorization).
 */
export function userByIdentifierQuery(db: Kysely<Database>, connectionId: unknown, lower: unknown) {
  return db
    .selectFrom('users')
    .selectAll('users')
    .where('users.connection_id', '=', connectionId as string)
    .where((eb) =>
      eb.or([
        eb('users.email_lower', '=', lower as string),
        eb('users.username_lower', '=', lower as string),
      ]),
    );
}

// Compiled once (store/compiled.ts); a password login reads its user with login-read.ts, a refresh
// with refresh-read.ts.
const byIdentifier = compiled((db, p) => userByIdentifierQuery(db, p(0), p(1)));
const byId = compiled((db, p) => db.selectFrom('users').selectAll().where('id', '=', p(0)));

export async function listUsers(db: Kysely<Database>, connectionId?: string): Promise<UserWithSecret[]> {
  let q = db.selectFrom('users').selectAll().orderBy('id');
  if (connectionId) q = q.where('connection_id', '=', connectionId);
  return (await q.execute()).map(fromRow);
}

export interface UserWrite {
  user_id: string;
  connection_id: string;
  email?: string | null;
  username?: string | null;
  email_verified?: boolean;
  blocked?: boolean;
  profile?: UserProfile;
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
  /** undefined keeps the stored hash. */
  password_hash?: string | null;
}

function columns(u: UserWrite, now: number) {
  return {
    connection_id: u.connection_id,
    email: u.email ?? null,
    email_lower: u.email ? u.email.toLowerCase() : null,
    username: u.username ?? null,
    username_lower: u.username ? u.username.toLowerCase() : null,
    email_verified: u.email_verified ? 1 : 0,
    blocked: u.blocked ? 1 : 0,
    profile: JSON.stringify(u.profile ?? {}),
    app_metadata: JSON.stringify(u.app_metadata ?? {}),
    user_metadata: JSON.stringify(u.user_metadata ?? {}),
    updated_at: now,
  };
}

function newRow(u: UserWrite, now: number): UsersTable {
  return {
    ...columns(u, now),
    id: u.user_id,
    password_hash: u.password_hash ?? null,
    hash_profile: hashProfile(u.password_hash),
    logins_count: 0,
    last_login: null,
    created_at: now,
  };
}

/** Creates a user or replaces its attributes (keyed by user_id). */
export async function upsertUser(db: Kysely<Database>, u: UserWrite, now: number): Promise<void> {
  const values = columns(u, now);
  const update =
    u.password_hash === undefined
      ? values
      : { ...values, password_hash: u.password_hash, hash_profile: hashProfile(u.password_hash) };
  await db
    .insertInto('users')
    .values(newRow(u, now))
    .onConflict((oc) => oc.column('id').doUpdateSet(update))
    .execute();
}

/** Creates users in one statement; fails (changing nothing) if any user_id, email or username is taken. */
export async function insertUsers(db: Kysely<Database>, users: UserWrite[], now: number): Promise<void> {
  if (users.length === 0) return;
  await db
    .insertInto('users')
    .values(users.map((u) => newRow(u, now)))
    .execute();
}

/** The users of a connection whose email or username is one of `identifiers`, case-insensitively. */
export async function findUsersByIdentifiers(
  db: Kysely<Database>,
  connectionId: string,
  identifiers: string[],
): Promise<UserWithSecret[]> {
  if (identifiers.length === 0) return [];
  const lower = [...new Set(identifiers.map((i) => i.toLowerCase()))];
  const rows = await db
    .selectFrom('users')
    .selectAll()
    .where('connection_id', '=', connectionId)
    .where((eb) => eb.or([eb('email_lower', 'in', lower), eb('username_lower', 'in', lower)]))
    .execute();
  return rows.map(fromRow);
}

/** Which of these user_ids exist (in any connection). */
export async function existingUserIds(db: Kysely<Database>, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('users').select('id').where('id', 'in', ids).execute();
  return new Set(rows.map((r) => r.id));
}

/** Replaces a user's password hash (a password change or a re-hash on login). */
export async function setPasswordHash(
  db: Kysely<Database>,
  userId: string,
  hash: string,
  now: number,
): Promise<void> {
  await db
    .updateTable('users')
    .set({ password_hash: hash, hash_profile: hashProfile(hash), updated_at: now })
    .where('id', '=', userId)
    .execute();
}

/**
 * The hash profiles (hash-profile.ts) of a connection's users, in order: one
 * index seek per profile on (connection_id, hash_profile), however many users.
 */
export async function hashProfilesOf(db: Kysely<Database>, connectionId: string): Promise<string[]> {
  const profiles: string[] = [];
  for (;;) {
    let q = db
      .selectFrom('users')
      .select('hash_profile')
      .where('connection_id', '=', connectionId)
      .where('hash_profile', 'is not', null);
    const last = profiles[profiles.length - 1];
    if (last !== undefined) q = q.where('hash_profile', '>', last);
    const row = await q.orderBy('hash_profile').limit(1).executeTakeFirst();
    if (!row?.hash_profile) return profiles;
    profiles.push(row.hash_profile);
  }
}

/** Counts a successful login. */
export async function recordLogin(db: Kysely<Database>, userId: string, now: number): Promise<void> {
  await loginQuery.execute(db, userId, now);
}

/**
 * The UPDATE that counts a login on its user (`logins_count + 1`,
 * `last_login`), for recordLogin and for the audit event's counted insert
 * (events.ts), which embeds it as a CTE.
 */
export function loginCountUpdate(db: Kysely<Database>, userId: unknown, at: unknown) {
  return db
    .updateTable('users')
    .set({ logins_count: sql`logins_count + 1`, last_login: at as number })
    .where('id', '=', userId as string);
}

const loginQuery = compiled((db, p) => loginCountUpdate(db, p(0), p(1)));

export async function deleteUser(db: Kysely<Database>, userId: string): Promise<void> {
  await db.deleteFrom('users').where('id', '=', userId).execute();
}
