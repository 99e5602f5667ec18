import * as crypto from 'node:crypto';

/**
 * The names of what protection counts and blocks: a brute-force key per
 * connection and typed identifier (lower-cased, so unknown users count too
 * and the answer never tells whether a user exists), with the end user's IP
 * in the default mode; a throttle key per IP. Hashed: an identifier may be
 * long, and Redis keys and block ids stay short and uniform.
 */
const digest: (s: string) => string =
  // crypto.hash (Node >= 20.12) hashes in one call, without a Hash object; older Nodes build one.
  typeof crypto.hash === 'function'
    ? (s) => crypto.hash('sha256', s, 'base64url')
    : (s) => crypto.createHash('sha256').update(s).digest('base64url');

/** The identifier as counted: what the user typed, lower-cased (as user lookup compares). */
export const normalizeIdentifier = (username: string) => username.toLowerCase();

export function userBlockId(connectionId: string, identifier: string, ip: string | undefined): string {
  return digest(`user\n${connectionId}\n${identifier}\n${ip ?? '*'}`);
}

export function ipBlockId(ip: string): string {
  return digest(`ip\n${ip}`);
}
