import { randomBytes } from 'node:crypto';
import { Algorithm, hash as argonHash, verify as argonVerify, Version } from '@node-rs/argon2';
import { hash as bcryptHash, compare as bcryptCompare } from '@node-rs/bcrypt';
import { hashProfile } from '../store/hash-profile.js';

export { hashProfile };

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

/** The hash profile (store/hash-profile.ts) of the hashes hashPassword makes. */
export const OUR_PROFILE = `argon2id$v=19$m=${ARGON2_OPTIONS.memoryCost},t=${ARGON2_OPTIONS.timeCost},p=${ARGON2_OPTIONS.parallelism}`;

const ARGON2_ALGORITHMS: Record<string, Algorithm> = {
  argon2id: Algorithm.Argon2id,
  argon2i: Algorithm.Argon2i,
  argon2d: Algorithm.Argon2d,
};

/**
 * A hash of a random password with a profile's algorithm and parameters:
 * verifying it costs what verifying a user's hash of that profile costs.
 * Throws for a profile it cannot reproduce (e.g. a bcrypt cost above 31).
 */
export function dummyHashFor(profile: string): Promise<string> {
  const password = randomBytes(24).toString('base64url');
  const bcrypt = /^bcrypt\$(\d\d)$/.exec(profile);
  if (bcrypt) return bcryptHash(password, Number(bcrypt[1]));
  const argon = /^(argon2id|argon2i|argon2d)\$v=(16|19)\$m=(\d+),t=(\d+),p=(\d+)$/.exec(profile);
  if (argon) {
    return argonHash(password, {
      algorithm: ARGON2_ALGORITHMS[argon[1]!],
      version: argon[2] === '16' ? Version.V0x10 : Version.V0x13,
      memoryCost: Number(argon[3]),
      timeCost: Number(argon[4]),
      parallelism: Number(argon[5]),
    });
  }
  return Promise.reject(new Error(`no dummy hash for the hash profile "${profile}"`));
}
