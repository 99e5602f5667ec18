import type { Kysely } from 'kysely';
import { liftUserBlocks } from '../protection/lift.js';
import { revokeUserRefreshTokens } from '../store/repos/refresh-tokens.js';
import {
  existingUserIds,
  findUsersByIdentifiers,
  insertUsers,
  type UserWithSecret,
  type UserWrite,
  upsertUser,
} from '../store/repos/users.js';
import type { Database } from '../store/schema.js';
import type { ImportedUser } from './import-record.js';

/** The email and username a record gives, as `[field, value]`. */
export const identifiers = (u: ImportedUser) =>
  [
    ['email', u.write.email],
    ['username', u.write.username],
  ].filter((p): p is [string, string] => typeof p[1] === 'string');

export interface BatchOptions {
  now: number;
  /** Update the users that exist (matched by email, else by username) instead of refusing them. */
  upsert: boolean;
}

/** What one batch did; `errors` holds `[index, message]` pairs. */
export interface BatchResult {
  inserted: number;
  updated: number;
  errors: [number, string][];
}

const lower = (v: string | null | undefined) => (v ? v.toLowerCase() : undefined);

/**
 * Writes one batch of checked records in the transaction `trx`. A record
 * whose identifiers are free is inserted. One that names an existing user
 * of the connection is an error, or with `upsert` an update of that user
 * (`updateOf`); an upsert never changes a user_id, an email or a username.
 */
export async function writeBatch(
  trx: Kysely<Database>,
  conn: { id: string; name: string },
  batch: ImportedUser[],
  opts: BatchOptions,
): Promise<BatchResult> {
  const errors: [number, string][] = [];
  const takenIds = await existingUserIds(
    trx,
    batch.map((u) => u.write.user_id),
  );
  const users = await findUsersByIdentifiers(
    trx,
    conn.id,
    batch.flatMap((u) => identifiers(u).map(([, v]) => v)),
  );
  const byEmail = new Map<string, UserWithSecret>();
  const byUsername = new Map<string, UserWithSecret>();
  const owners = new Map<string, string>();
  for (const other of users) {
    if (other.email) byEmail.set(other.email.toLowerCase(), other);
    if (other.username) byUsername.set(other.username.toLowerCase(), other);
    for (const v of [other.email, other.username]) if (v) owners.set(v.toLowerCase(), other.user_id);
  }

  const inserts: UserWrite[] = [];
  const updates: { write: UserWrite; newHash: boolean }[] = [];
  for (const u of batch) {
    const fail = (message: string) => errors.push([u.index, `[${u.index}] ${message}`]);
    const email = lower(u.write.email);
    const target = !opts.upsert
      ? undefined
      : email !== undefined
        ? byEmail.get(email)
        : byUsername.get(lower(u.write.username) ?? '');
    if (target) {
      const lines = changeRefusals(u, target);
      for (const line of lines) fail(line);
      if (lines.length === 0) updates.push(updateOf(target, u));
      continue;
    }
    const before = errors.length;
    if (takenIds.has(u.write.user_id)) fail(`user_id: "${u.write.user_id}" is already taken`);
    for (const [field, value] of identifiers(u)) {
      const owner = owners.get(value.toLowerCase());
      if (owner) fail(`${field}: "${value}" is already used by user ${owner} in "${conn.name}"`);
    }
    if (errors.length === before) inserts.push(u.write);
  }

  await insertUsers(trx, inserts, opts.now);
  for (const { write, newHash } of updates) {
    await upsertUser(trx, write, opts.now);
    if (!newHash) continue;
    // A new password, as setUserPassword: its blocks lifted, its sessions ended.
    await liftUserBlocks(trx, write.user_id, opts.now);
    await revokeUserRefreshTokens(trx, write.user_id, opts.now);
  }
  return { inserted: inserts.length, updated: updates.length, errors };
}

/** Why an upsert record cannot update `target` (it would change its user_id or username). */
function changeRefusals(u: ImportedUser, target: UserWithSecret): string[] {
  const lines: string[] = [];
  if (u.fields.has('user_id') && u.write.user_id !== target.user_id) {
    const by = u.write.email !== null && u.write.email !== undefined ? 'email' : 'username';
    const value = by === 'email' ? target.email : target.username;
    lines.push(
      `user_id: "${u.write.user_id}" cannot replace the user_id of the user with ${by} "${value}" (${target.user_id}): an upsert never changes a user_id`,
    );
  }
  const username = u.write.username;
  if (typeof username === 'string' && lower(username) !== lower(target.username)) {
    const now = target.username ? JSON.stringify(target.username) : 'none';
    lines.push(
      `username: "${username}" cannot replace the username of ${target.user_id} (${now}): an upsert never changes an email or a username; use PATCH /api/v2/users/{id}`,
    );
  }
  return lines;
}

/**
 * The user after an upsert record: the fields the record gives replace the
 * stored ones (profile fields one by one, app_metadata and user_metadata
 * whole, as Auth0's upsert does); the others are kept.
 */
function updateOf(target: UserWithSecret, u: ImportedUser): { write: UserWrite; newHash: boolean } {
  const has = (f: string) => u.fields.has(f);
  const newHash = has('password_hash') || has('custom_password_hash');
  return {
    newHash,
    write: {
      user_id: target.user_id,
      connection_id: target.connection_id,
      email: target.email,
      username: target.username,
      email_verified: has('email_verified') ? u.write.email_verified : target.email_verified,
      blocked: has('blocked') ? u.write.blocked : target.blocked,
      profile: { ...target.profile, ...u.write.profile },
      app_metadata: has('app_metadata') ? u.write.app_metadata : target.app_metadata,
      user_metadata: has('user_metadata') ? u.write.user_metadata : target.user_metadata,
      password_hash: newHash ? u.write.password_hash : undefined,
    },
  };
}
