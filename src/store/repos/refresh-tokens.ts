import { type Kysely, sql } from 'kysely';
import { compiled } from '../compiled.js';
import { consumeOnce } from '../consume.js';
import { type BatchColumn, batched, columnArrays, unnestRows } from '../pg-batch.js';
import type { Database, RefreshTokensTable } from '../schema.js';

export type RefreshTokenRow = RefreshTokensTable;

/** A new token: no sealed successor yet; `parent_id` unless it starts a family. */
export type NewRefreshToken = Omit<RefreshTokenRow, 'successor_enc' | 'parent_id'> & {
  parent_id?: string | null;
};

/**
 * Every column of a new token, in one fixed order (the compiled INSERT's
 * arguments), each with its type as a batch's input (pg-batch.ts): bigint
 * for the times (epoch ms), text for the rest.
 */
const COLUMN_TYPES = {
  id: 'text',
  token_hash: 'text',
  family_id: 'text',
  client_id: 'text',
  user_id: 'text',
  connection_id: 'text',
  audience: 'text',
  scope: 'text',
  created_at: 'bigint',
  family_created_at: 'bigint',
  last_used_at: 'bigint',
  expires_at: 'bigint',
  idle_expires_at: 'bigint',
  rotated_at: 'bigint',
  replaced_by: 'text',
  revoked_at: 'bigint',
  parent_id: 'text',
} as const satisfies { [K in keyof NewRefreshToken]-?: BatchColumn[1] };

export const COLUMNS = Object.keys(COLUMN_TYPES) as (keyof typeof COLUMN_TYPES)[];

const insertQuery = compiled((db, p) =>
  db.insertInto('refresh_tokens').values({
    ...(Object.fromEntries(COLUMNS.map((c, i) => [c, p(i)])) as NewRefreshToken),
    successor_enc: null,
  }),
);

/** COLUMNS as a batch's input (pg-batch.ts). */
export const REFRESH_TOKEN_BATCH_COLUMNS: readonly BatchColumn[] = COLUMNS.map(
  (c) => [c, COLUMN_TYPES[c]] as const,
);

/** Writes a new token. On PostgreSQL the tokens of the same turns (new families) are one INSERT (pg-batch.ts). */
export function insertRefreshToken(db: Kysely<Database>, row: NewRefreshToken): Promise<void> {
  return insertToken(
    db,
    COLUMNS.map((c) => row[c] ?? null),
  );
}

const insertToken = batched<unknown[], void>({
  async one(db, values) {
    await insertQuery.execute(db, ...values);
  },
  async many(db, rows) {
    await insertManyQuery.execute(db, ...columnArrays(rows, COLUMNS.length));
    return rows.map(() => undefined);
  },
});

const insertManyQuery = compiled((db, p) => {
  const columns = sql.join(COLUMNS.map((c) => sql.ref(c)));
  const query = sql`
    INSERT INTO refresh_tokens (${columns})
    SELECT ${columns} FROM ${unnestRows(p, 'i', REFRESH_TOKEN_BATCH_COLUMNS)} ORDER BY ord`;
  return { compile: () => query.compile(db) };
});

const byHash = compiled((db, p) =>
  db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', p(0)),
);

export async function findRefreshTokenByHash(
  db: Kysely<Database>,
  hash: string,
): Promise<RefreshTokenRow | undefined> {
  return (await byHash.execute(db, hash)).rows[0] as RefreshTokenRow | undefined;
}

const byId = compiled((db, p) => db.selectFrom('refresh_tokens').selectAll().where('id', '=', p(0)));

export async function findRefreshTokenById(
  db: Kysely<Database>,
  id: string,
): Promise<RefreshTokenRow | undefined> {
  return (await byId.execute(db, id)).rows[0] as RefreshTokenRow | undefined;
}

/**
 * Marks a token as exchanged for its successor (kept sealed for retries),
 * only if nobody did so first: one conditional UPDATE, so of two racing
 * requests exactly one wins. The same statement forgets `parentId`'s sealed
 * successor (this token: once it is used, no retry of the parent may get
 * it); that holds whoever wins, since a winner forgets it too and a revoked
 * family keeps no sealed successor.
 */
export async function consumeRefreshToken(
  db: Kysely<Database>,
  id: string,
  successor: { id: string; sealed: string | null },
  now: number,
  parentId: string | null = null,
): Promise<boolean> {
  const r = await consumeQuery.execute(db, id, parentId, now, successor.id, successor.sealed);
  return r.rows.some((row) => row.id === id);
}

/**
 * The rotation's one UPDATE (consume and forget the parent's successor,
 * RETURNING which rows changed). Arguments: 0 the token, 1 its parent, 2 now,
 * 3 the successor's id, 4 the sealed successor. consumeQuery runs it alone;
 * rotateQuery (refresh-rotation.ts) runs it as the CTE its INSERTs depend on.
 */
export const consumeUpdate = (db: Kysely<Database>, p: (i: number) => any) =>
  db
    .updateTable('refresh_tokens')
    .set((eb) => ({
      rotated_at: eb.case().when('id', '=', p(0)).then(p(2)).else(eb.ref('rotated_at')).end(),
      replaced_by: eb.case().when('id', '=', p(0)).then(p(3)).else(eb.ref('replaced_by')).end(),
      successor_enc: eb.case().when('id', '=', p(0)).then(p(4)).else(null).end(),
      last_used_at: eb.case().when('id', '=', p(0)).then(p(2)).else(eb.ref('last_used_at')).end(),
    }))
    .where((eb) =>
      eb.or([
        eb.and([eb('id', '=', p(0)), eb('rotated_at', 'is', null), eb('revoked_at', 'is', null)]),
        eb.and([eb('id', '=', p(1)), eb('successor_enc', 'is not', null)]),
      ]),
    )
    .returning('id');

// Every rotation runs it: compiled once.
const consumeQuery = compiled(consumeUpdate);

/**
 * Re-exchanges the immediately previous token within the leeway: only if
 * its successor is still unused, which the successor's own conditional
 * revocation decides atomically.
 */
export async function supersedeSuccessor(
  db: Kysely<Database>,
  previous: RefreshTokenRow,
  successorId: string,
  now: number,
): Promise<boolean> {
  if (!previous.replaced_by) return false;
  const successor = previous.replaced_by;
  const won = await consumeOnce(
    db,
    'refresh_tokens',
    (eb) => eb.and([eb('id', '=', successor), eb('rotated_at', 'is', null), eb('revoked_at', 'is', null)]),
    { revoked_at: now },
  );
  if (!won) return false;
  await db
    .updateTable('refresh_tokens')
    .set({ replaced_by: successorId, successor_enc: null, last_used_at: now })
    .where('id', '=', previous.id)
    .execute();
  return true;
}

/** Forgets a consumed token's sealed successor: the successor was used, no retry can need it. */
export async function forgetSuccessor(db: Kysely<Database>, id: string): Promise<void> {
  await forgetQuery.execute(db, id);
}

const forgetQuery = compiled((db, p) =>
  db
    .updateTable('refresh_tokens')
    .set({ successor_enc: null })
    .where('id', '=', p(0))
    .where('successor_enc', 'is not', null),
);

/** Records a use of a non-rotating token (slides its idle expiry). */
export async function touchRefreshToken(
  db: Kysely<Database>,
  id: string,
  now: number,
  idleExpiresAt: number | null,
): Promise<boolean> {
  return consumeOnce(
    db,
    'refresh_tokens',
    (eb) => eb.and([eb('id', '=', id), eb('revoked_at', 'is', null)]),
    { last_used_at: now, idle_expires_at: idleExpiresAt },
  );
}

/** Revokes every live token of a family (forgetting sealed successors); returns how many. */
export function revokeFamily(db: Kysely<Database>, familyId: string, now: number): Promise<number> {
  return revokeLive(db, 'family_id', familyId, now);
}

/** Revokes every refresh token of a user (password change, deletion, block). */
export function revokeUserRefreshTokens(db: Kysely<Database>, userId: string, now: number): Promise<number> {
  return revokeLive(db, 'user_id', userId, now);
}

/** Revokes the live tokens whose `column` is `value` (forgetting sealed successors); returns how many. */
async function revokeLive(
  db: Kysely<Database>,
  column: 'family_id' | 'user_id',
  value: string,
  now: number,
): Promise<number> {
  const r = await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: now, successor_enc: null })
    .where(column, '=', value)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
