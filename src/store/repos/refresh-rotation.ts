import { type Kysely, sql } from 'kysely';
import { compiled } from '../compiled.js';
import { type BatchColumn, batched, columnArrays, unnestRows } from '../pg-batch.js';
import type { Database } from '../schema.js';
import { EVENT_BATCH_COLUMNS, EVENT_COLUMNS, eventValues, type LogEvent } from './events.js';
import {
  COLUMNS,
  consumeUpdate,
  type NewRefreshToken,
  REFRESH_TOKEN_BATCH_COLUMNS,
} from './refresh-tokens.js';

/** One rotation's writes: the token used, its parent's sealed successor forgotten, the successor, the event. */
export interface Rotation {
  id: string;
  /** The token this one replaced: its sealed successor (this token) is forgotten. */
  parentId: string | null;
  now: number;
  /** The successor sealed for retries, or null. */
  sealed: string | null;
  successor: NewRefreshToken;
  event: LogEvent;
}

/**
 * PostgreSQL only: consumeRefreshToken, the successor's INSERT and the audit
 * event's INSERT as one statement (data-modifying CTEs), so one round trip
 * and no BEGIN/COMMIT. The statement is atomic: when any part fails nothing
 * is written (the token stays unused). The INSERTs select from the UPDATE's
 * RETURNING: of racing rotations exactly one consumes the token (the
 * conditional UPDATE decides, as in consumeRefreshToken) and only that one
 * writes a successor and an event. True when this call rotated the token.
 *
 * The rotations of the same turns are one statement (store/pg-batch.ts,
 * rotateMany); one that lost there is asked again alone.
 */
export function rotateInOneStatement(db: Kysely<Database>, r: Rotation): Promise<boolean> {
  return rotate(db, r);
}

async function rotateAlone(db: Kysely<Database>, r: Rotation): Promise<boolean> {
  const res = await rotateQuery.execute(db, ...inputValues(r));
  return res.rows.some((row) => row.id === r.id);
}

// Arguments (inputValues): 0 the token, 1 its parent, 2 now, 3 the successor's id, 4 the sealed
// successor, then the successor's COLUMNS, then the event's EVENT_COLUMNS.
const rotateQuery = compiled<{ id: string }>((db, p) => {
  const columns = (names: readonly string[]) => sql.join(names.map((c) => sql.ref(c)));
  const args = (from: number, n: number) => sql.join(Array.from({ length: n }, (_, i) => p(from + i)));
  const used = sql`EXISTS (SELECT 1 FROM consumed WHERE consumed.id = ${p(0)})`;
  const query = sql<{ id: string }>`
    WITH consumed AS (${consumeUpdate(db, p)}),
    successor AS (
      INSERT INTO refresh_tokens (${columns(COLUMNS)}) SELECT ${args(5, COLUMNS.length)} WHERE ${used}
    ),
    event AS (
      INSERT INTO events (${columns(EVENT_COLUMNS)})
      SELECT ${args(5 + COLUMNS.length, EVENT_COLUMNS.length)} WHERE ${used}
    )
    SELECT id FROM consumed`;
  return { compile: () => query.compile(db) };
});

/** The batch's input columns: the rotation's own, then the successor's (`s_`), then the event's (`e_`). */
const INPUT: readonly BatchColumn[] = [
  ['r_id', 'text'],
  ['r_parent', 'text'],
  ['r_now', 'bigint'],
  ['r_successor', 'text'],
  ['r_sealed', 'text'],
  ...REFRESH_TOKEN_BATCH_COLUMNS.map(([c, type]) => [`s_${c}`, type] as const),
  ...EVENT_BATCH_COLUMNS.map(([c, type]) => [`e_${c}`, type] as const),
];

/** One rotation's values, in INPUT's order: rotateQuery's arguments, and a row of rotateManyQuery's. */
function inputValues(r: Rotation): unknown[] {
  return [
    r.id,
    r.parentId,
    r.now,
    r.successor.id,
    r.sealed,
    ...COLUMNS.map((c) => r.successor[c] ?? null),
    ...eventValues(r.event),
  ];
}

/**
 * Several rotations in one statement: rotateQuery over arrays (one array
 * per INPUT column, unnested into rows numbered `ord`). The UPDATE joins
 * each input row to its token and to its parent, under the same conditions
 * as consumeUpdate; an input row won when the row it updated is its own
 * token (PostgreSQL updates a row joined by several input rows once, with
 * one of them: of two rotations of the same token exactly one wins). Only
 * the winners' successors and events are written. Atomic, as one statement
 * is: when any part fails, nothing is written (then each runs alone).
 */
const rotateManyQuery = compiled<{ ord: string }>((db, p) => {
  const pick = (names: readonly string[], prefix: string) =>
    sql.join(names.map((c) => sql.ref(`w.${prefix}${c}`)));
  const columns = (names: readonly string[]) => sql.join(names.map((c) => sql.ref(c)));
  const own = (value: string, otherwise: string) =>
    sql`CASE WHEN t.id = i.r_id THEN ${sql.ref(`i.${value}`)} ELSE ${sql.raw(otherwise)} END`;
  const query = sql<{ ord: string }>`
    WITH i AS (SELECT * FROM ${unnestRows(p, 'i', INPUT)}),
    consumed AS (
      UPDATE refresh_tokens AS t SET
        rotated_at = ${own('r_now', 't.rotated_at')},
        replaced_by = ${own('r_successor', 't.replaced_by')},
        successor_enc = ${own('r_sealed', 'NULL')},
        last_used_at = ${own('r_now', 't.last_used_at')}
      FROM i CROSS JOIN LATERAL (VALUES (i.r_id, true), (i.r_parent, false)) AS x(target, own)
      WHERE t.id = ANY(${p(0)}::text[] || ${p(1)}::text[])
        AND t.id = x.target
        AND CASE WHEN x.own THEN t.rotated_at IS NULL AND t.revoked_at IS NULL
                 ELSE t.successor_enc IS NOT NULL END
      RETURNING t.id, i.ord, i.r_id
    ),
    w AS (SELECT i.* FROM i JOIN consumed AS c ON c.ord = i.ord AND c.id = i.r_id),
    successor AS (
      INSERT INTO refresh_tokens (${columns(COLUMNS)}) SELECT ${pick(COLUMNS, 's_')} FROM w
    ),
    event AS (
      INSERT INTO events (${columns(EVENT_COLUMNS)}) SELECT ${pick(EVENT_COLUMNS, 'e_')} FROM w
    )
    SELECT ord FROM w`;
  return { compile: () => query.compile(db) };
});

const rotate = batched<Rotation, boolean>({
  one: rotateAlone,
  async many(db, rotations) {
    const arrays = columnArrays(rotations.map(inputValues), INPUT.length);
    const { rows } = await rotateManyQuery.execute(db, ...arrays);
    const won = new Set(rows.map((row) => Number(row.ord)));
    return rotations.map((_, i) => won.has(i + 1));
  },
  // A loss is asked again alone: a win in the batch is certain, a loss is the single statement's to say.
  confirm: (won) => won,
});
