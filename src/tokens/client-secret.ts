import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Client secrets are high-entropy values chosen by an administrator, so a
 * SHA-256 digest stored at rest is enough and keeps client authentication
 * cheap on the token endpoint's hot path. Format: `sha256$<base64url>`.
 */
export function hashClientSecret(secret: string): string {
  return `sha256$${createHash('sha256').update(secret, 'utf8').digest('base64url')}`;
}

/** Compares a presented secret with a stored hash in constant time. */
export function verifyClientSecret(stored: string, presented: string): boolean {
  const expected = Buffer.from(stored, 'utf8');
  const actual = Buffer.from(hashClientSecret(presented), 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
