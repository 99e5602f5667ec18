import { UniqueViolation } from '../errors/index.js';
import type { Store } from '../store/db.js';
import { findConnectionById } from '../store/repos/connections.js';
import { findUserById, type User, type UserProfile, upsertUser } from '../store/repos/users.js';
import {
  createUser,
  databaseConnection,
  EMAIL_PATTERN,
  identifierClash,
  type NewUser,
  type PasswordOptions,
  removeUser,
  setUserPassword,
  UserError,
  withoutSecret,
} from './users.js';

/**
 * Users as the Management API manages them (spec section 11): thin
 * functions over users.ts that the HTTP edge calls, so that handlers never
 * reach the store. Refusals are `UserError`s and `PasswordPolicyError`s.
 */

/** A user and the name of its connection. */
export interface ManagedUser {
  user: User;
  connection: string;
}

const PROFILE_FIELDS = ['name', 'nickname', 'picture', 'given_name', 'family_name'] as const;

async function withConnection(store: Store, user: User): Promise<ManagedUser> {
  const conn = await findConnectionById(store.db, user.connection_id);
  return { user, connection: conn?.name ?? user.connection_id };
}

/** A user by user_id; UserError `not_found` when there is none. */
export async function getManagedUser(store: Store, userId: string): Promise<ManagedUser> {
  const u = await findUserById(store.db, userId);
  if (!u) throw new UserError('not_found', `no user has user_id "${userId}"`);
  return withConnection(store, withoutSecret(u));
}

/** A unique key taken by a concurrent write is the same answer as a clash found beforehand. */
function asConflict(err: unknown): never {
  if (err instanceof UniqueViolation && err.table === 'users')
    throw new UserError('conflict', 'email, username or user_id already taken');
  throw err;
}

/**
 * Creates a user through the API: createUser's checks (connection, policy,
 * breached passwords, clashes); an unknown connection is bad input here
 * (400), not a missing user.
 */
export async function createManagedUser(
  store: Store,
  input: NewUser,
  now: number,
  opts: PasswordOptions = {},
): Promise<ManagedUser> {
  try {
    await databaseConnection(store.db, input.connection);
  } catch (err) {
    if (err instanceof UserError) throw new UserError('invalid', err.message);
    throw err;
  }
  const user = await createUser(store, input, now, opts).catch(asConflict);
  return withConnection(store, user);
}

/** What PATCH /users/{id} may change. `null` removes a profile field; metadata merges (see `mergeMetadata`). */
export interface UserPatch {
  password?: string;
  blocked?: boolean;
  email?: string;
  email_verified?: boolean;
  username?: string;
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
  name?: string | null;
  nickname?: string | null;
  picture?: string | null;
  given_name?: string | null;
  family_name?: string | null;
}

/** Auth0's metadata merge: top-level keys of `patch` replace those of `stored`; a key set to null is removed. */
export function mergeMetadata(
  stored: Record<string, unknown>,
  patch: Record<string, unknown> | undefined,
): Record<string, unknown> {
  if (patch === undefined) return stored;
  const out = { ...stored };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

/**
 * Updates a user. A new email must be free in the connection (and is
 * unverified unless `email_verified` says otherwise); a new password goes
 * through setUserPassword (policy, breached check, sessions revoked).
 */
export async function updateManagedUser(
  store: Store,
  userId: string,
  patch: UserPatch,
  now: number,
  opts: PasswordOptions = {},
): Promise<ManagedUser> {
  const { user } = await getManagedUser(store, userId);
  const conn = await findConnectionById(store.db, user.connection_id);
  if (patch.email !== undefined && (!EMAIL_PATTERN.test(patch.email) || patch.email.length > 512))
    throw new UserError('invalid', `email "${patch.email}" is not an email address`);
  if (conn) {
    const clash = await identifierClash(store.db, conn, {
      user_id: userId,
      email: patch.email,
      username: patch.username,
    });
    if (clash) throw new UserError('conflict', clash);
  }
  if (patch.password !== undefined) await setUserPassword(store, userId, patch.password, now, opts);
  const profile: UserProfile = { ...user.profile };
  for (const k of PROFILE_FIELDS) {
    const v = patch[k];
    if (v === null) delete profile[k];
    else if (v !== undefined) profile[k] = v;
  }
  const emailChanged =
    patch.email !== undefined && patch.email.toLowerCase() !== (user.email ?? '').toLowerCase();
  await upsertUser(
    store.db,
    {
      user_id: userId,
      connection_id: user.connection_id,
      email: patch.email ?? user.email,
      username: patch.username ?? user.username,
      email_verified: patch.email_verified ?? (emailChanged ? false : user.email_verified),
      blocked: patch.blocked ?? user.blocked,
      profile,
      app_metadata: mergeMetadata(user.app_metadata, patch.app_metadata),
      user_metadata: mergeMetadata(user.user_metadata, patch.user_metadata),
    },
    now,
  ).catch(asConflict);
  return getManagedUser(store, userId);
}

/** Deletes a user (its refresh tokens revoked, its authenticators removed); UserError `not_found` when absent. */
export async function deleteManagedUser(store: Store, userId: string, now: number): Promise<void> {
  await removeUser(store, userId, now);
}
