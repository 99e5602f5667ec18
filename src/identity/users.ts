import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { isBreachedPassword } from '../protection/breached.js';
import { liftUserBlocks } from '../protection/lift.js';
import { EMAIL_PATTERN } from '../schemas/common.js';
import type { Store } from '../store/db.js';
import { getSetting } from '../store/repos/settings.js';
import { deleteUserAuthenticators } from '../store/repos/mfa-authenticators.js';
import {
  type Connection,
  findConnectionById,
  findConnectionByName,
  listConnections,
} from '../store/repos/connections.js';
import { revokeUserRefreshTokens } from '../store/repos/refresh-tokens.js';
import {
  deleteUser,
  existingUserIds,
  findUserById,
  findUsersByIdentifiers,
  insertUsers,
  listUsers,
  setPasswordHash,
  type User,
  type UserProfile,
  type UserWithSecret,
  type UserWrite,
} from '../store/repos/users.js';
import type { Database } from '../store/schema.js';
import { assertPasswordPolicy } from './password-policy.js';
import { hashPassword } from './passwords.js';

/**
 * A request about users that cannot be done as asked: `invalid` input,
 * a `conflict` with an existing user, or a user or connection `not_found`.
 * The message says what is wrong and how to fix it.
 */
export class UserError extends Error {
  override name = 'UserError';
  constructor(
    readonly kind: 'invalid' | 'conflict' | 'not_found',
    message: string,
  ) {
    super(message);
  }
}

export { EMAIL_PATTERN };

/** A new user of a database connection (Auth0's Management API fields). */
export interface NewUser extends UserProfile {
  /** The connection's name. */
  connection: string;
  email?: string;
  username?: string;
  password?: string;
  email_verified?: boolean;
  blocked?: boolean;
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
  /** With or without the `auth0|` prefix; generated when absent. */
  user_id?: string;
}

/** `auth0|` + 24 hex digits, Auth0's shape for database users. */
export function newUserId(): string {
  return `auth0|${randomBytes(12).toString('hex')}`;
}

/** Auth0 prefixes a database user's id with `auth0|`; an id given without it gets it. */
export function databaseUserId(id: string): string {
  return id.startsWith('auth0|') ? id : `auth0|${id}`;
}

/** A user without its password hash: what leaves the identity layer. */
export function withoutSecret(u: UserWithSecret): User {
  const { password_hash: _hash, ...user } = u;
  return user;
}

/** The database connection named `name` (or aliased so in its `realms`), or a not_found error listing the known ones. */
export async function databaseConnection(db: Kysely<Database>, name: string): Promise<Connection> {
  // A name, or one of a connection's `realms` aliases, as the password-realm grant resolves it.
  const conn =
    (await findConnectionByName(db, name)) ??
    (await listConnections(db)).find((c) => c.realms?.includes(name));
  if (!conn) {
    const known = (await listConnections(db)).map((c) =>
      c.realms?.length ? `${c.name} (alias ${c.realms.join(', ')})` : c.name,
    );
    throw new UserError(
      'not_found',
      `connection "${name}" does not exist (${known.length ? `known: ${known.join(', ')}` : 'there are none yet'}); define it in the tenant file and run tessera apply`,
    );
  }
  if (conn.strategy !== 'auth0') {
    throw new UserError('invalid', `connection "${name}" is not a database connection (strategy "auth0")`);
  }
  return conn;
}

/** The first clash of `email`/`username` with another user of the connection, as a message. */
export async function identifierClash(
  db: Kysely<Database>,
  conn: Connection,
  user: { user_id?: string; email?: string | null; username?: string | null },
): Promise<string | undefined> {
  for (const field of ['email', 'username'] as const) {
    const value = user[field];
    if (!value) continue;
    const [other] = (await findUsersByIdentifiers(db, conn.id, [value])).filter(
      (o) => o.user_id !== user.user_id,
    );
    if (other) return `${field} "${value}" is already used by user ${other.user_id} in "${conn.name}"`;
  }
  return undefined;
}

function validateNewUser(input: NewUser, conn: Connection): void {
  const options = (conn.options ?? {}) as { requires_username?: boolean };
  if (input.email !== undefined && (!EMAIL_PATTERN.test(input.email) || input.email.length > 512)) {
    throw new UserError('invalid', `email "${input.email}" is not an email address`);
  }
  if (input.username !== undefined && (input.username.length === 0 || input.username.length > 255)) {
    throw new UserError('invalid', 'username must be 1 to 255 characters');
  }
  if (!input.email && !input.username) {
    throw new UserError('invalid', 'a user needs an email or a username');
  }
  if (options.requires_username && !input.username) {
    throw new UserError('invalid', `connection "${conn.name}" requires a username (--username)`);
  }
  if (
    input.user_id !== undefined &&
    (input.user_id.length === 0 || databaseUserId(input.user_id).length > 255)
  ) {
    throw new UserError('invalid', 'user_id must be 1 to 249 characters (after the auth0| prefix)');
  }
}

/**
 * Creates a user in a database connection. The password, if any, must
 * satisfy the connection's policy and is stored as argon2id; the email and
 * username must be free in that connection (another connection may have
 * the same ones: it is another directory).
 */
export async function createUser(
  store: Store,
  input: NewUser,
  now: number,
  opts: PasswordOptions = {},
): Promise<User> {
  const conn = await databaseConnection(store.db, input.connection);
  validateNewUser(input, conn);
  if (input.password !== undefined) {
    assertPasswordPolicy(input.password, conn, input);
    await assertNotBreached(store, input.password, opts);
  }
  const userId = input.user_id === undefined ? newUserId() : databaseUserId(input.user_id);
  const check = async (db: Kysely<Database>) => {
    if ((await existingUserIds(db, [userId])).size > 0) {
      throw new UserError('conflict', `user_id "${userId}" is already taken`);
    }
    const clash = await identifierClash(db, conn, { email: input.email, username: input.username });
    if (clash) throw new UserError('conflict', clash);
  };
  await check(store.db); // before the slow hash
  const hash = input.password === undefined ? null : await hashPassword(input.password);
  const profile: UserProfile = {};
  for (const k of ['name', 'nickname', 'picture', 'given_name', 'family_name'] as const) {
    if (input[k] !== undefined) profile[k] = input[k];
  }
  const write: UserWrite = {
    user_id: userId,
    connection_id: conn.id,
    email: input.email ?? null,
    username: input.username ?? null,
    email_verified: input.email_verified ?? false,
    blocked: input.blocked ?? false,
    profile,
    app_metadata: input.app_metadata ?? {},
    user_metadata: input.user_metadata ?? {},
    password_hash: hash,
  };
  await store.db.transaction().execute(async (trx) => {
    await check(trx);
    await insertUsers(trx, [write], now);
  });
  return withoutSecret((await findUserById(store.db, userId))!);
}

async function existingUser(db: Kysely<Database>, userId: string): Promise<UserWithSecret> {
  const user = await findUserById(db, userId);
  if (!user) {
    throw new UserError('not_found', `no user has user_id "${userId}" (tessera users list shows them)`);
  }
  return user;
}

/**
 * Sets a user's password (checked against the connection's policy) and
 * revokes the user's refresh tokens: a password change ends every session.
 * Returns how many refresh tokens were revoked.
 */
export async function setUserPassword(
  store: Store,
  userId: string,
  password: string,
  now: number,
  opts: PasswordOptions = {},
): Promise<{ revoked: number }> {
  const user = await existingUser(store.db, userId);
  const conn = await findConnectionById(store.db, user.connection_id);
  assertPasswordPolicy(password, conn ?? {}, { ...user, name: user.profile.name });
  await assertNotBreached(store, password, opts);
  const hash = await hashPassword(password);
  return store.db.transaction().execute(async (trx) => {
    await existingUser(trx, userId);
    await setPasswordHash(trx, userId, hash, now);
    // A new password lifts the user's brute-force blocks and a breached-password block.
    await liftUserBlocks(trx, userId, now);
    return { revoked: await revokeUserRefreshTokens(trx, userId, now) };
  });
}

export interface PasswordOptions {
  /** The breached-password corpus (TESSERA_BREACHED_PASSWORDS); default: the one shipped. */
  breachedPasswords?: string;
}

/**
 * With breached password detection on, a password found in the corpus
 * cannot be set: the user would be blocked at the next login anyway.
 */
async function assertNotBreached(store: Store, password: string, opts: PasswordOptions): Promise<void> {
  const ap = await getSetting<{ breachedPasswordDetection?: { enabled?: boolean } }>(
    store.db,
    'attackProtection',
  );
  if (ap?.breachedPasswordDetection?.enabled !== true) return;
  if (await isBreachedPassword(password, opts.breachedPasswords)) {
    throw new UserError(
      'invalid',
      'password: this password appears in a list of breached passwords; choose another',
    );
  }
}

/** Deletes a user after revoking its refresh tokens; returns how many were revoked. */
export async function removeUser(store: Store, userId: string, now: number): Promise<{ revoked: number }> {
  return store.db.transaction().execute(async (trx) => {
    await existingUser(trx, userId);
    const revoked = await revokeUserRefreshTokens(trx, userId, now);
    await deleteUserAuthenticators(trx, userId);
    await deleteUser(trx, userId);
    return { revoked };
  });
}

export type UserQuery = { userId: string } | { connection: string; identifier: string };

/** A user by user_id, or by email or username within a connection (by name). */
export async function findUser(store: Store, q: UserQuery): Promise<User | undefined> {
  if ('userId' in q) {
    const u = await findUserById(store.db, q.userId);
    return u && withoutSecret(u);
  }
  const conn = await databaseConnection(store.db, q.connection);
  const [u] = await findUsersByIdentifiers(store.db, conn.id, [q.identifier]);
  return u && withoutSecret(u);
}

/**
 * Resolves what a person typed: a user_id, or an email or username (in
 * `connection` when given, else in every connection, which must then match
 * one user only).
 */
export async function resolveUser(store: Store, ref: string, connection?: string): Promise<User> {
  const conn = connection === undefined ? undefined : await databaseConnection(store.db, connection);
  const byId = await findUserById(store.db, ref);
  if (byId && (!conn || byId.connection_id === conn.id)) return withoutSecret(byId);
  const conns = conn ? [conn] : await listConnections(store.db);
  const found: UserWithSecret[] = [];
  for (const c of conns) found.push(...(await findUsersByIdentifiers(store.db, c.id, [ref])));
  if (found.length === 1) return withoutSecret(found[0]!);
  if (found.length > 1) {
    const names = conns.filter((c) => found.some((u) => u.connection_id === c.id)).map((c) => c.name);
    throw new UserError(
      'conflict',
      `"${ref}" is a user of several connections (${names.join(', ')}): name one with --connection, or give the user_id`,
    );
  }
  throw new UserError(
    'not_found',
    `no user "${ref}"${conn ? ` in "${conn.name}"` : ''}: give a user_id, email or username (tessera users list shows them)`,
  );
}

/** Every user, of one connection when named. */
export async function listConnectionUsers(store: Store, connection?: string): Promise<User[]> {
  const conn = connection === undefined ? undefined : await databaseConnection(store.db, connection);
  return (await listUsers(store.db, conn?.id)).map(withoutSecret);
}
