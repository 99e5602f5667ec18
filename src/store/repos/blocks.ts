import type { Kysely } from 'kysely';
import { consumeOnce } from '../consume.js';
import type { Database, ProtectionBlocksTable } from '../schema.js';

export type BlockRow = ProtectionBlocksTable;

const changed = (r: {
  numInsertedOrUpdatedRows?: bigint;
  numUpdatedRows?: bigint;
  numDeletedRows?: bigint;
}) => Number(r.numInsertedOrUpdatedRows ?? r.numUpdatedRows ?? r.numDeletedRows ?? 0) > 0;

export function findBlock(db: Kysely<Database>, id: string): Promise<BlockRow | undefined> {
  return db.selectFrom('protection_blocks').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Blocks in force written since `since` (all of them from 0). */
export function activeBlocksSince(
  db: Kysely<Database>,
  since: number,
): Promise<Pick<BlockRow, 'id' | 'expires_at'>[]> {
  return db
    .selectFrom('protection_blocks')
    .select(['id', 'expires_at'])
    .where('lifted_at', 'is', null)
    .where('updated_at', '>=', since)
    .execute();
}

/**
 * Puts a block in force: a new row, or a lifted one again. True only for the
 * caller that did so (one conditional statement: of two racing processes one
 * wins), who then notifies and logs.
 */
export async function putBlock(db: Kysely<Database>, row: BlockRow): Promise<boolean> {
  // An IP throttled again within the notification window is not announced twice.
  const { id: _id, notified_at, ...rest } = row;
  const update = row.kind === 'ip' ? rest : { ...rest, notified_at };
  const r = await db
    .insertInto('protection_blocks')
    .values(row)
    .onConflict((oc) =>
      oc
        .column('id')
        .doUpdateSet(update)
        .where((eb) =>
          eb.or([
            eb('protection_blocks.lifted_at', 'is not', null),
            eb('protection_blocks.expires_at', '<=', row.updated_at),
          ]),
        ),
    )
    .executeTakeFirst();
  return changed(r);
}

/** Moves the end of a block in force (an IP that stays throttled). */
export async function extendBlock(
  db: Kysely<Database>,
  id: string,
  expiresAt: number | null,
  now: number,
): Promise<void> {
  await db
    .updateTable('protection_blocks')
    .set({ expires_at: expiresAt, updated_at: now })
    .where('id', '=', id)
    .where('lifted_at', 'is', null)
    .execute();
}

/** Claims the right to notify about a block: true at most once per `windowMs`. */
export async function claimNotification(
  db: Kysely<Database>,
  id: string,
  now: number,
  windowMs: number,
): Promise<boolean> {
  return consumeOnce(
    db,
    'protection_blocks',
    (eb) =>
      eb.and([
        eb('id', '=', id),
        eb.or([eb('notified_at', 'is', null), eb('notified_at', '<=', now - windowMs)]),
      ]),
    { notified_at: now },
  );
}

/** Drops a lifted block; true for the one caller that did (it resets the counter). */
export async function dropLiftedBlock(db: Kysely<Database>, id: string): Promise<boolean> {
  const r = await db
    .deleteFrom('protection_blocks')
    .where('id', '=', id)
    .where('lifted_at', 'is not', null)
    .executeTakeFirst();
  return changed(r);
}

export interface BlockFilter {
  userId?: string;
  /** Identifiers (lower-cased), optionally within one connection. */
  identifiers?: string[];
  connectionId?: string;
  ip?: string;
  ids?: string[];
}

const isEmpty = (f: BlockFilter) => !f.userId && !f.identifiers?.length && !f.ip && !f.ids?.length;

function filtered(db: Kysely<Database>, f: BlockFilter) {
  const q = db.selectFrom('protection_blocks').selectAll().where('lifted_at', 'is', null);
  if (isEmpty(f)) return q;
  return q.where((eb) => {
    const any = [];
    if (f.userId) any.push(eb('user_id', '=', f.userId));
    if (f.identifiers?.length) {
      const id = eb('identifier', 'in', f.identifiers);
      any.push(f.connectionId ? eb.and([id, eb('connection_id', '=', f.connectionId)]) : id);
    }
    if (f.ip) any.push(eb('ip', '=', f.ip));
    if (f.ids?.length) any.push(eb('id', 'in', f.ids));
    return eb.or(any);
  });
}

/** Blocks in force matching any of the filter's fields (all of them with an empty filter). */
export function listBlocks(db: Kysely<Database>, f: BlockFilter = {}): Promise<BlockRow[]> {
  return filtered(db, f).orderBy('created_at').execute();
}

/** Lifts the blocks in force matching the filter (one of its fields must be set); returns them. */
export async function liftBlocks(db: Kysely<Database>, f: BlockFilter, now: number): Promise<BlockRow[]> {
  if (isEmpty(f)) return [];
  const rows = await filtered(db, f).execute();
  if (rows.length === 0) return [];
  const r = await db
    .updateTable('protection_blocks')
    .set({ lifted_at: now, updated_at: now })
    .where(
      'id',
      'in',
      rows.map((b) => b.id),
    )
    .where('lifted_at', 'is', null)
    .returning('id')
    .execute();
  const lifted = new Set(r.map((x) => x.id));
  return rows.filter((b) => lifted.has(b.id));
}

/** Forgets lifted blocks nobody came back for, and IP throttles long over. */
export async function purgeBlocks(db: Kysely<Database>, before: number): Promise<void> {
  await db
    .deleteFrom('protection_blocks')
    .where((eb) =>
      eb.or([
        eb('lifted_at', '<', before),
        eb.and([eb('expires_at', 'is not', null), eb('expires_at', '<', before)]),
      ]),
    )
    .execute();
  await db.deleteFrom('protection_tickets').where('expires_at', '<', before).execute();
}

/** Records a ticket as used; false when it was used before. */
export async function useTicket(
  db: Kysely<Database>,
  id: string,
  now: number,
  expiresAt: number,
): Promise<boolean> {
  const r = await db
    .insertInto('protection_tickets')
    .values({ id, used_at: now, expires_at: expiresAt })
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  return changed(r);
}

/** Remembers a leaked password of a user; true when it was not known yet (notify then). */
export async function putLeak(
  db: Kysely<Database>,
  userId: string,
  fingerprint: string,
  now: number,
): Promise<boolean> {
  const r = await db
    .insertInto('protection_leaks')
    .values({ user_id: userId, hash_fingerprint: fingerprint, detected_at: now })
    .onConflict((oc) =>
      oc
        .column('user_id')
        .doUpdateSet({ hash_fingerprint: fingerprint, detected_at: now })
        .where('protection_leaks.hash_fingerprint', '<>', fingerprint),
    )
    .executeTakeFirst();
  return changed(r);
}

export async function deleteLeak(db: Kysely<Database>, userId: string): Promise<boolean> {
  return changed(await db.deleteFrom('protection_leaks').where('user_id', '=', userId).executeTakeFirst());
}

export function listLeaks(db: Kysely<Database>, userId?: string) {
  let q = db.selectFrom('protection_leaks').selectAll().orderBy('detected_at');
  if (userId) q = q.where('user_id', '=', userId);
  return q.execute();
}
