import { createHmac, hkdfSync, randomBytes, randomInt } from 'node:crypto';
import type { Runtime } from '../runtime.js';

const keys = new WeakMap<Runtime, Buffer>();

function key(rt: Runtime): Buffer {
  let k = keys.get(rt);
  if (!k) {
    k = Buffer.from(
      hkdfSync('sha256', Buffer.from(rt.config.secret, 'utf8'), Buffer.alloc(0), 'tessera mfa codes', 32),
    );
    keys.set(rt, k);
  }
  return k;
}

/**
 * The stored form of an MFA secret (mfa_token, oob_code, binding code,
 * recovery code): an HMAC keyed by TESSERA_SECRET, so even a 6-digit code
 * cannot be brute-forced from a stolen database.
 */
export function codeHash(rt: Runtime, code: string): string {
  return createHmac('sha256', key(rt)).update(code, 'utf8').digest('base64url');
}

/** An opaque bearer value (mfa_token, oob_code): 256 random bits. */
export function opaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

/** A 6-digit code for SMS and email. */
export function sixDigits(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A recovery code: 24 base32 characters (120 bits), as Auth0 shows them. */
export function recoveryCode(): string {
  const bytes = randomBytes(24);
  let out = '';
  for (const b of bytes) out += BASE32[b & 31];
  return out;
}

/** Recovery codes are compared without spaces, dashes or case. */
export function normaliseRecoveryCode(code: string): string {
  return code.replace(/[\s-]/g, '').toUpperCase();
}

/** An authenticator id in Auth0's style: `totp|dev_…`. */
export function authenticatorId(prefix: string): string {
  return `${prefix}|dev_${randomBytes(12).toString('base64url')}`;
}
