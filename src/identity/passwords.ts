import { randomBytes } from 'node:crypto';
import { Algorithm, hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { compare as bcryptCompare } from '@node-rs/bcrypt';

/** OWASP's argon2id parameters: m=19456 KiB, t=2, p=1. */
export const ARGON2_OPTIONS = {
  algorithm: Algorithm.Argon2id,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

/**
 * Hashes a password with argon2id. Runs on libuv's thread pool, never on the
 * event loop.
 */
export function hashPassword(password: string): Promise<string> {
  return argonHash(password, ARGON2_OPTIONS);
}

export type HashKind = 'argon2id' | 'argon2-other' | 'bcrypt' | 'unknown';

/** Tells which algorithm produced a stored hash. */
export function hashKind(stored: string): HashKind {
  if (stored.startsWith('$argon2id$')) return 'argon2id';
  if (stored.startsWith('$argon2i$') || stored.startsWith('$argon2d$')) return 'argon2-other';
  if (/^\$2[abxy]?\$\d\d\$/.test(stored)) return 'bcrypt';
  return 'unknown';
}

export interface VerifyResult {
  ok: boolean;
  /** True when the hash should be replaced by a fresh argon2id hash. */
  needsRehash: boolean;
}

/**
 * Verifies a password against a stored hash: argon2id, other argon2 variants
 * or bcrypt (imported from Auth0's `custom_password_hash`). A hash that is
 * not argon2id with our parameters asks to be re-hashed once it matched.
 */
export async function verifyPassword(stored: string, password: string): Promise<VerifyResult> {
  const kind = hashKind(stored);
  try {
    if (kind === 'argon2id' || kind === 'argon2-other') {
      const ok = await argonVerify(stored, password);
      return { ok, needsRehash: ok && (kind !== 'argon2id' || !hasOurParameters(stored)) };
    }
    if (kind === 'bcrypt') {
      const ok = await bcryptCompare(password, stored);
      return { ok, needsRehash: ok };
    }
  } catch {
    // A corrupt stored hash fails closed, like a wrong password.
  }
  return { ok: false, needsRehash: false };
}

function hasOurParameters(stored: string): boolean {
  const o = ARGON2_OPTIONS;
  return stored.includes(`$m=${o.memoryCost},t=${o.timeCost},p=${o.parallelism}$`);
}

let dummy: Promise<string> | undefined;

function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(24).toString('base64url')).catch((err) => {
    dummy = undefined; // try again next time rather than failing forever
    throw err;
  });
  return dummy;
}

/** Makes the dummy hash at boot, so the first unknown-user login costs no extra hashing. */
export async function primeDummyHash(): Promise<void> {
  await dummyHash();
}

/**
 * Does the same work as a real verification for a user that does not exist,
 * so that response time does not tell whether a username is registered.
 */
export async function verifyDummy(password: string): Promise<void> {
  await argonVerify(await dummyHash(), password).catch(() => false);
}
