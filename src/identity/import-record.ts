import { HASH_FORMAT } from '../schemas/user.js';
import type { UserProfile, UserWrite } from '../store/repos/users.js';
import { EMAIL_PATTERN, databaseUserId, newUserId } from './users.js';

/*
 * One record of Auth0's bulk user import file, checked field by field.
 * https://auth0.com/docs/manage-users/user-migration/bulk-user-imports
 */

const HASH_EXAMPLE = {
  bcrypt: '$2b$10$… (60 characters)',
  argon2: '$argon2id$v=19$m=…,t=…,p=…$salt$hash',
};

const PROFILE = ['given_name', 'family_name', 'name', 'nickname', 'picture'] as const;
const FIELDS = new Set<string>([
  ...PROFILE,
  'email',
  'email_verified',
  'user_id',
  'username',
  'blocked',
  'app_metadata',
  'user_metadata',
  'password_hash',
  'custom_password_hash',
  'password_set_date',
  'mfa_factors',
]);

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A valid record, ready to write once its identifiers are known to be free. */
export interface ImportedUser {
  index: number;
  write: UserWrite;
  /** The fields the record gave (an upsert changes only those). */
  fields: ReadonlySet<string>;
}

/** Checks record `i`; returns the user to write, or pushes `[i] field: message` errors. */
export function parseRecord(
  rec: unknown,
  i: number,
  connectionId: string,
  errors: string[],
): ImportedUser | undefined {
  const before = errors.length;
  const fail = (field: string, message: string) =>
    errors.push(`[${i}]${field ? ` ${field}` : ''}: ${message}`);
  if (!isObject(rec)) {
    fail('', 'not an object (each user of the array is a JSON object)');
    return undefined;
  }
  for (const key of Object.keys(rec)) {
    if (key === 'password') {
      fail(
        key,
        "plain-text passwords are not part of Auth0's import format: give password_hash or custom_password_hash, or set the password after the import with tessera users set-password",
      );
    } else if (key === 'mfa_factors') {
      fail(key, 'not supported yet: remove it; the user enrolls MFA again after the import');
    } else if (!FIELDS.has(key)) fail(key, "unknown field (not in Auth0's bulk import format)");
  }
  const str = (key: string, max = 1024): string | undefined => {
    const v = rec[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.length === 0) fail(key, 'must be a non-empty string');
    else if (v.length > max) fail(key, `must be at most ${max} characters`);
    else return v;
    return undefined;
  };
  const bool = (key: string): boolean | undefined => {
    const v = rec[key];
    if (v !== undefined && typeof v !== 'boolean') fail(key, 'must be true or false');
    return v === true;
  };
  const meta = (key: string): Obj => {
    const v = rec[key];
    if (v !== undefined && !isObject(v)) fail(key, 'must be an object');
    return isObject(v) ? v : {};
  };

  const email = str('email', 512);
  if (email !== undefined && !EMAIL_PATTERN.test(email)) fail('email', 'not an email address');
  const username = str('username', 255);
  if (rec.email === undefined && rec.username === undefined)
    fail('email', 'missing (a user needs an email or a username)');
  let userId = str('user_id', 249);
  if (userId !== undefined) {
    const bare = userId.startsWith('auth0|') ? userId.slice(6) : userId;
    if (bare.length === 0 || bare.includes('|')) {
      fail(
        'user_id',
        `"${userId}" is not a database user id (give it without a provider prefix, or with auth0|)`,
      );
      userId = undefined;
    } else userId = databaseUserId(bare);
  }
  const profile: UserProfile = {};
  for (const k of PROFILE) {
    const v = str(k);
    if (v !== undefined) profile[k] = v;
  }
  const emailVerified = bool('email_verified');
  const blocked = bool('blocked');
  const appMetadata = meta('app_metadata');
  const userMetadata = meta('user_metadata');
  const dateSet = rec.password_set_date;
  if (dateSet !== undefined && (typeof dateSet !== 'string' || Number.isNaN(Date.parse(dateSet)))) {
    fail('password_set_date', 'must be a date (ISO 8601)');
  }
  const hash = passwordHash(rec, fail);

  if (errors.length > before) return undefined;
  return {
    index: i,
    fields: new Set(Object.keys(rec)),
    write: {
      user_id: userId ?? newUserId(),
      connection_id: connectionId,
      email: email ?? null,
      username: username ?? null,
      email_verified: emailVerified,
      blocked,
      profile,
      app_metadata: appMetadata,
      user_metadata: userMetadata,
      password_hash: hash ?? null,
    },
  };
}

/** The stored hash from `password_hash` (bcrypt) or `custom_password_hash` (bcrypt, argon2). */
function passwordHash(rec: Obj, fail: (field: string, message: string) => void): string | undefined {
  const plain = rec.password_hash;
  const custom = rec.custom_password_hash;
  if (plain !== undefined && custom !== undefined) {
    fail('custom_password_hash', 'give either password_hash or custom_password_hash, not both');
    return undefined;
  }
  if (plain !== undefined) {
    if (typeof plain === 'string' && HASH_FORMAT.bcrypt.test(plain)) return plain;
    fail('password_hash', `not a bcrypt hash (expected ${HASH_EXAMPLE.bcrypt})`);
    return undefined;
  }
  if (custom === undefined) return undefined;
  const at = 'custom_password_hash';
  if (!isObject(custom)) {
    fail(at, 'must be an object with algorithm and hash');
    return undefined;
  }
  const { algorithm, hash, ...rest } = custom;
  for (const key of Object.keys(rest)) {
    if (['salt', 'password', 'keylen'].includes(key)) {
      fail(`${at}.${key}`, 'not used with bcrypt or argon2 (their hash string carries its own parameters)');
    } else fail(`${at}.${key}`, 'unknown field');
  }
  if (algorithm !== 'bcrypt' && algorithm !== 'argon2') {
    fail(
      `${at}.algorithm`,
      algorithm === undefined
        ? 'missing: "bcrypt" or "argon2"'
        : `unsupported ${JSON.stringify(algorithm)}: bcrypt and argon2 are supported`,
    );
    return undefined;
  }
  if (!isObject(hash) || typeof hash.value !== 'string') {
    fail(`${at}.hash.value`, `missing: the ${algorithm} hash string (${HASH_EXAMPLE[algorithm]})`);
    return undefined;
  }
  const { value, encoding, ...more } = hash;
  for (const key of Object.keys(more)) fail(`${at}.hash.${key}`, 'unknown field');
  if (encoding !== undefined && encoding !== 'utf8') {
    fail(`${at}.hash.encoding`, `must be "utf8" for ${algorithm} (got ${JSON.stringify(encoding)})`);
  }
  if (!HASH_FORMAT[algorithm].test(value)) {
    fail(
      `${at}.hash.value`,
      `not ${algorithm === 'argon2' ? 'an' : 'a'} ${algorithm} hash (expected ${HASH_EXAMPLE[algorithm]})`,
    );
  }
  return value;
}
