import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { checkPassword, type PolicyConnection } from '../identity/password-policy.js';
import { ARGON2_OPTIONS, hashKind, hashPassword, verifyPassword } from '../identity/passwords.js';
import { type Connection, listConnections } from '../store/repos/connections.js';
import {
  deleteUser,
  findUserById,
  findUserByIdentifier,
  listUsers,
  type UserWithSecret,
  type UserWrite,
  upsertUser,
} from '../store/repos/users.js';
import type { Database } from '../store/schema.js';
import type { ApplyReport } from './apply.js';
import { type TenantDoc, TenantFileError, type UserDoc } from './schema.js';

type Db = Kysely<Database>;

/** JSON with sorted keys: equal for equal values whatever the key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Per file user (by index): a fresh argon2id hash, or null when the stored hash already verifies. */
export type PreparedPasswords = Map<number, string | null>;

/** The user fields kept in the profile column. */
export const PROFILE_FIELDS = ['name', 'nickname', 'picture', 'given_name', 'family_name'] as const;

/** The stored user a file entry describes: by user_id when given, else by (connection, email or username). */
function findExisting(
  db: Db,
  u: UserDoc,
  connectionId: string | undefined,
): Promise<UserWithSecret | undefined> {
  if (u.user_id !== undefined) return findUserById(db, u.user_id);
  if (connectionId === undefined) return Promise.resolve(undefined);
  return findUserByIdentifier(db, connectionId, (u.email ?? u.username)!);
}

/**
 * Checks every plain password of the file against its connection's policy
 * (the connection as the file defines it, else as stored), before any slow
 * hashing. An unknown connection is left to the reference check. Imported
 * hashes are not checked: a hash cannot be.
 */
function passwordPolicyErrors(doc: TenantDoc, stored: Connection[]): void {
  const byName = new Map<string, PolicyConnection>(stored.map((c) => [c.name, c]));
  for (const c of doc.connections ?? []) byName.set(c.name, c as PolicyConnection);
  const errors: string[] = [];
  for (const [i, u] of (doc.users ?? []).entries()) {
    const conn = byName.get(u.connection);
    if (u.password === undefined || !conn) continue;
    for (const failure of checkPassword(u.password, conn, u)) errors.push(`users[${i}].password: ${failure}`);
  }
  if (errors.length > 0) throw new TenantFileError(errors);
}

/**
 * Hashes the file's plain passwords, outside any transaction (argon2 is
 * slow and SQLite has one writer). A user whose stored hash already verifies
 * the file's password keeps it: no needless re-hash, no spurious update.
 */
export async function prepareUserPasswords(db: Db, doc: TenantDoc): Promise<PreparedPasswords> {
  const out: PreparedPasswords = new Map();
  const users = doc.users ?? [];
  if (!users.some((u) => u.password !== undefined)) return out;
  const stored = await listConnections(db);
  passwordPolicyErrors(doc, stored);
  const connections = new Map(stored.map((c) => [c.name, c.id]));
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < users.length; i = next++) {
      const u = users[i];
      if (u.password === undefined) continue;
      const old = await findExisting(db, u, connections.get(u.connection));
      const keep = old?.password_hash && (await verifyPassword(old.password_hash, u.password)).ok;
      out.set(i, keep ? null : await hashPassword(u.password));
    }
  };
  // A few at a time: each argon2 hash holds 19 MiB while it runs.
  await Promise.all([worker(), worker(), worker(), worker()]);
  return out;
}

function isOurArgon2(hash: string): boolean {
  const o = ARGON2_OPTIONS;
  return (
    hashKind(hash) === 'argon2id' && hash.includes(`$m=${o.memoryCost},t=${o.timeCost},p=${o.parallelism}$`)
  );
}

/** The password_hash to write: undefined keeps the stored one. */
function passwordHash(u: UserDoc, old: UserWithSecret | undefined, prepared: string | null | undefined) {
  if (u.password !== undefined) {
    if (prepared === null && old?.password_hash) return undefined;
    if (typeof prepared === 'string') return prepared;
    throw new Error('a user changed while the tenant file was applied; apply it again');
  }
  const imported = u.custom_password_hash?.hash.value;
  if (imported === undefined || old?.password_hash === imported) return undefined;
  // The login re-hashed the imported hash to our argon2id: that is the same password.
  if (old?.password_hash && isOurArgon2(old.password_hash) && !isOurArgon2(imported)) return undefined;
  return imported;
}

function toWrite(u: UserDoc, userId: string, connectionId: string): UserWrite {
  const profile: Record<string, string> = {};
  for (const k of PROFILE_FIELDS) {
    if (u[k] !== undefined) profile[k] = u[k];
  }
  return {
    user_id: userId,
    connection_id: connectionId,
    email: u.email ?? null,
    username: u.username ?? null,
    email_verified: u.email_verified ?? false,
    blocked: u.blocked ?? false,
    profile,
    app_metadata: u.app_metadata ?? {},
    user_metadata: u.user_metadata ?? {},
  };
}

function unchanged(old: UserWithSecret, w: UserWrite): boolean {
  return (
    w.password_hash === undefined &&
    old.connection_id === w.connection_id &&
    old.email === w.email &&
    old.username === w.username &&
    old.email_verified === w.email_verified &&
    old.blocked === w.blocked &&
    canonical(old.profile) === canonical(w.profile) &&
    canonical(old.app_metadata) === canonical(w.app_metadata) &&
    canonical(old.user_metadata) === canonical(w.user_metadata)
  );
}

/**
 * Makes the users of the file exist as written. With `prune`, and only when
 * the file has a `users` section, users of the connections the file names
 * (in `connections` or in a user's `connection`) that the file does not list
 * are deleted; users of other connections are never touched.
 */
export async function applyUsers(
  trx: Db,
  doc: TenantDoc,
  connectionIds: Map<string, string>,
  prepared: PreparedPasswords,
  opts: { prune: boolean; now: number },
  report: ApplyReport,
): Promise<string[]> {
  if (!doc.users) return [];
  const plan = [];
  for (const u of doc.users) {
    const connectionId = connectionIds.get(u.connection)!;
    const old = await findExisting(trx, u, connectionId);
    const userId = old?.user_id ?? u.user_id ?? `auth0|${randomBytes(12).toString('hex')}`;
    plan.push({ u, old, write: toWrite(u, userId, connectionId) });
  }
  if (opts.prune) {
    const kept = new Set(plan.map((p) => p.write.user_id));
    const names = new Set([
      ...(doc.connections ?? []).map((c) => c.name),
      ...doc.users.map((u) => u.connection),
    ]);
    for (const name of names) {
      const id = connectionIds.get(name);
      if (id === undefined) continue;
      for (const stored of await listUsers(trx, id)) {
        if (kept.has(stored.user_id)) continue;
        await deleteUser(trx, stored.user_id);
        report.deleted.push(`user ${stored.user_id}`);
      }
    }
  }
  const clashes: string[] = [];
  for (const [i, { u, write }] of plan.entries()) {
    for (const field of ['email', 'username'] as const) {
      const value = write[field];
      if (!value) continue;
      const other = await findUserByIdentifier(trx, write.connection_id, value);
      if (other && other.user_id !== write.user_id) {
        clashes.push(
          `users[${i}].${field}: "${value}" is already used by user ${other.user_id} in "${u.connection}"`,
        );
      }
    }
  }
  if (clashes.length > 0) throw new TenantFileError(clashes);
  for (const [i, { u, old, write }] of plan.entries()) {
    write.password_hash = passwordHash(u, old, prepared.get(i));
    if (old && unchanged(old, write)) {
      report.unchanged++;
      continue;
    }
    await upsertUser(trx, write, opts.now);
    (old ? report.updated : report.created).push(`user ${write.user_id}`);
  }
  return plan.map((p) => p.write.user_id);
}
