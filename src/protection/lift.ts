import type { Kysely } from 'kysely';
import { type BlockFilter, type BlockRow, deleteLeak, liftBlocks } from '../store/repos/blocks.js';
import { rowId } from '../store/ids.js';
import { insertEvent } from '../store/repos/events.js';
import { findUserById } from '../store/repos/users.js';
import type { Database } from '../store/schema.js';

/**
 * Lifting blocks is a database write: the row is marked lifted and every
 * server resets its counter when it next sees the key, so the CLI, the email
 * link and a password change all work without reaching the servers' memory
 * or Redis. Each lifted identifier block is logged as `ublkdu`.
 */
export async function lift(
  db: Kysely<Database>,
  filter: BlockFilter,
  now: number,
  description: string,
): Promise<BlockRow[]> {
  const lifted = await liftBlocks(db, filter, now);
  for (const b of lifted) {
    if (b.kind !== 'user') continue;
    await insertEvent(db, {
      id: rowId('evt'),
      date: now,
      type: 'ublkdu',
      description,
      connection_id: b.connection_id,
      user_id: b.user_id,
      user_name: b.identifier,
      details: { blocked_ip: b.ip },
    });
  }
  return lifted;
}

/**
 * Lifts every brute-force block of a user: those recorded with its user_id
 * and those on its email or username in its connection (counted before the
 * user existed, or typed in another case). Call it when the password changes
 * (it may run inside that transaction); `leaks` also forgets a breached
 * password found at login (the default: it was the old password).
 */
export async function liftUserBlocks(
  db: Kysely<Database>,
  userId: string,
  now: number,
  opts: { description?: string; leaks?: boolean } = {},
): Promise<number> {
  const user = await findUserById(db, userId);
  const identifiers = [user?.email, user?.username].filter((v): v is string => Boolean(v));
  const lifted = await lift(
    db,
    {
      userId,
      identifiers: identifiers.map((i) => i.toLowerCase()),
      connectionId: user?.connection_id,
    },
    now,
    opts.description ?? 'Unblocked by a password change',
  );
  if (opts.leaks ?? true) await deleteLeak(db, userId);
  return lifted.length;
}
