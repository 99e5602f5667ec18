import type { Kysely } from 'kysely';
import { UserError } from '../identity/users.js';
import { type BlockFilter, type BlockRow, listBlocks } from '../store/repos/blocks.js';
import { listConnections } from '../store/repos/connections.js';
import { findUserById } from '../store/repos/users.js';
import type { Database } from '../store/schema.js';
import { ipBlockId } from './block-ids.js';
import { ipCountingKey, parseIpRange } from './ip.js';
import { lift } from './lift.js';
import { loadPolicy } from './policy.js';

/** What an administrator names: a user's blocks, an identifier's, an IP's. */
export interface BlockSelector {
  user?: string;
  identifier?: string;
  ip?: string;
}

/** The description of the `ublkdu` event an administrator's unblock writes. */
export const ADMIN_UNBLOCK = 'Unblocked by an administrator';

/**
 * The key a block names an IP by: the address, or for IPv6 the network
 * attack protection counts it in (attackProtection.ipv6PrefixLength), so any
 * address of a blocked /64 finds the block; that network is accepted too.
 * Undefined when `value` is not an address (or an IPv6 network).
 */
export async function ipBlockKey(db: Kysely<Database>, value: string): Promise<string | undefined> {
  const range = parseIpRange(value);
  const cidr = value.includes('/');
  if (!range || (cidr && range.family === 'ipv4')) return undefined;
  if (cidr) return ipCountingKey(range.address, range.prefix);
  return ipCountingKey(range.address, (await loadPolicy(db)).ipv6Prefix);
}

/**
 * The blocks a selector names: a user's (by user_id, and its email or
 * username in its connection), an identifier's (every connection), an IP's.
 * Throws `UserError` `not_found` for an unknown user, `invalid` for a
 * malformed IP.
 */
export async function blockFilterOf(db: Kysely<Database>, s: BlockSelector): Promise<BlockFilter> {
  const f: BlockFilter = {};
  if (s.ip !== undefined) {
    f.ip = await ipBlockKey(db, s.ip);
    if (!f.ip)
      throw new UserError(
        'invalid',
        `--ip must be an IP address (or the IPv6 network a block names), got "${s.ip}"`,
      );
  }
  if (s.identifier) f.identifiers = [s.identifier.toLowerCase()];
  if (s.user) {
    const user = await findUserById(db, s.user);
    if (!user)
      throw new UserError('not_found', `no user has user_id "${s.user}" (tessera users list shows them)`);
    f.userId = user.user_id;
    const ids = [user.email, user.username]
      .filter((v): v is string => Boolean(v))
      .map((v) => v.toLowerCase());
    // The user's identifiers count only in its connection; an identifier alone covers every connection.
    if (!s.identifier) {
      f.identifiers = ids;
      f.connectionId = user.connection_id;
    }
  }
  return f;
}

/** One brute-force block as Auth0's `blocked_for` lists it. */
export interface BlockedFor {
  identifier: string;
  ip?: string;
  connection?: string;
}

/** The brute-force blocks in force for a user or an identifier (Auth0's `blocked_for`). */
export async function blockedFor(db: Kysely<Database>, s: BlockSelector): Promise<BlockedFor[]> {
  const rows = (await listBlocks(db, await blockFilterOf(db, s))).filter((b) => b.kind === 'user');
  const names = new Map((await listConnections(db)).map((c) => [c.id, c.name]));
  return rows.map((b) => {
    const out: BlockedFor = { identifier: b.identifier ?? '' };
    if (b.ip) out.ip = b.ip;
    const connection = b.connection_id ? names.get(b.connection_id) : undefined;
    if (connection) out.connection = connection;
    return out;
  });
}

/** Lifts the brute-force blocks of a user or an identifier (not the IP throttles); the number lifted. */
export async function liftBlockedFor(db: Kysely<Database>, s: BlockSelector, now: number): Promise<number> {
  const f = await blockFilterOf(db, s);
  const userBlocks = (await listBlocks(db, f)).filter((b) => b.kind === 'user').map((b) => b.id);
  if (userBlocks.length === 0) return 0;
  return (await lift(db, { ids: userBlocks }, now, ADMIN_UNBLOCK)).length;
}

/** The IP throttle in force for an address (suspicious IP throttling), if any. */
export async function ipThrottle(
  db: Kysely<Database>,
  ipKey: string,
  now: number,
): Promise<BlockRow | undefined> {
  const [row] = await listBlocks(db, { ids: [ipBlockId(ipKey)] });
  if (row?.kind !== 'ip') return undefined;
  return row.expires_at === null || row.expires_at > now ? row : undefined;
}

/** Lifts the IP throttle of an address; true when one was in force. */
export async function liftIpThrottle(db: Kysely<Database>, ipKey: string, now: number): Promise<boolean> {
  return (await lift(db, { ids: [ipBlockId(ipKey)] }, now, ADMIN_UNBLOCK)).length > 0;
}
