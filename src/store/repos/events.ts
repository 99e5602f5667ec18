import { type Insertable, type Kysely, PostgresAdapter, sql } from 'kysely';
import { compiled } from '../compiled.js';
import { type BatchColumn, batched, columnArrays, unnestRows } from '../pg-batch.js';
import { safeText, safeValue } from '../safe-text.js';
import { writeOne, writeTogether } from '../write-group.js';
import type { Database, EventsTable } from '../schema.js';
import { loginCountUpdate, recordLogin } from './users.js';

/** One audit-log entry, with Auth0's log event fields. */
export interface LogEvent {
  id: string;
  date: number;
  type: string;
  description?: string | null;
  client_id?: string | null;
  client_name?: string | null;
  connection?: string | null;
  connection_id?: string | null;
  user_id?: string | null;
  user_name?: string | null;
  ip?: string | null;
  client_ip?: string | null;
  user_agent?: string | null;
  details?: Record<string, unknown> | null;
}

/** Column widths of `events` (PostgreSQL refuses longer values). */
const WIDTH = {
  id: 64,
  type: 32,
  client_id: 255,
  client_name: 255,
  connection: 255,
  connection_id: 64,
  user_id: 255,
  user_name: 512,
  ip: 64,
  client_ip: 64,
} as const;

/** The columns of a new event, in `eventValues`' order. */
export const EVENT_COLUMNS = [
  'id',
  'date',
  'type',
  'description',
  'client_id',
  'client_name',
  'connection',
  'connection_id',
  'user_id',
  'user_name',
  'ip',
  'client_ip',
  'user_agent',
  'details',
] as const;

/** A login to count on its user (`logins_count + 1`, `last_login`), written with the login's audit event. */
export interface LoginCount {
  userId: string;
  /** The login's time (epoch ms): the user's last_login. */
  at: number;
}

/**
 * Writes an audit event. Its text often comes from the request (a username,
 * a client_id, a user agent), so every field is made storable first: NUL and
 * broken Unicode replaced, cut to its column. An attempt is never lost to
 * what it typed.
 *
 * With `login`, the event of a login counts it on its user in the same
 * write, neither without the other: one statement on PostgreSQL (one round
 * trip; a turn's events are one statement, see insertOnPostgres), one
 * transaction on SQLite (one commit), which joins the turn's group commit
 * (store/write-group.ts), as an event alone does.
 */
export async function insertEvent(db: Kysely<Database>, e: LogEvent, login?: LoginCount): Promise<void> {
  const args = eventValues(e);
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await insertOnPostgres(db, { args, login });
  } else if (!login) {
    await writeOne(db, (w) => insertQuery.execute(w, ...args));
  } else {
    await writeTogether(db, async (trx) => {
      await recordLogin(trx, login.userId, login.at);
      await insertQuery.execute(trx, ...args);
    });
  }
}

/**
 * An event's values as stored, in EVENT_COLUMNS' order: each text made
 * storable (see insertEvent), `details` as JSON. For a statement that
 * writes an event along with something else (the refresh token's rotation).
 */
export function eventValues(e: LogEvent): unknown[] {
  const text = (v: string | null | undefined, max?: number) =>
    v === undefined || v === null ? null : safeText(String(v), max);
  return [
    safeText(e.id, WIDTH.id),
    e.date,
    safeText(e.type, WIDTH.type),
    text(e.description),
    text(e.client_id, WIDTH.client_id),
    text(e.client_name, WIDTH.client_name),
    text(e.connection, WIDTH.connection),
    text(e.connection_id, WIDTH.connection_id),
    text(e.user_id, WIDTH.user_id),
    text(e.user_name, WIDTH.user_name),
    text(e.ip, WIDTH.ip),
    text(e.client_ip, WIDTH.client_ip),
    text(e.user_agent),
    e.details ? JSON.stringify(safeValue(e.details)) : null,
  ];
}

/** The columns of an event, `p(i)` the i-th of eventValues. */
const columns = (p: (i: number) => any) =>
  Object.fromEntries(EVENT_COLUMNS.map((c, i) => [c, p(i)])) as Insertable<EventsTable>;

// Every login writes one: compiled once (store/compiled.ts), the arguments in EVENT_COLUMNS' order.
const insertQuery = compiled((db, p) => db.insertInto('events').values(columns(p)));

// PostgreSQL: the count (recordLogin's update) and the event in one statement (a data-modifying CTE
// runs once, to completion, whether or not the insert reads it).
const countedInsertQuery = compiled((db, p) =>
  db
    .with('counted', () => loginCountUpdate(db, p(14), p(15)).returning('id'))
    .insertInto('events')
    .values(columns(p)),
);

/** An event to write on PostgreSQL: its values (eventValues), and the login it counts, if any. */
interface PgEventWrite {
  args: unknown[];
  login?: LoginCount;
}

/**
 * PostgreSQL: the events of the same turns in one statement (store/pg-batch.ts),
 * the logins among them counted on their users in the same statement: one
 * UPDATE per user, adding how many of the batch's logins were theirs, with
 * the latest as last_login (as the logins one after the other would).
 */
const insertOnPostgres = batched<PgEventWrite, void>({
  async one(db, { args, login }) {
    if (login) await countedInsertQuery.execute(db, ...args, login.userId, login.at);
    else await insertQuery.execute(db, ...args);
  },
  async many(db, writes) {
    const values = writes.map((w) => [...w.args, w.login?.userId, w.login?.at]);
    await insertManyQuery.execute(db, ...columnArrays(values, MANY_INPUT.length));
    return writes.map(() => undefined);
  },
});

/** The columns of `events` as a batch's input (pg-batch.ts): `date` is bigint, the rest text. */
export const EVENT_BATCH_COLUMNS: readonly BatchColumn[] = EVENT_COLUMNS.map(
  (c) => [c, c === 'date' ? 'bigint' : 'text'] as const,
);

/** insertManyQuery's input: an event's columns, then the login it counts (null: not a login). */
const MANY_INPUT: readonly BatchColumn[] = [
  ...EVENT_BATCH_COLUMNS,
  ['login_user', 'text'],
  ['login_at', 'bigint'],
];

const insertManyQuery = compiled((db, p) => {
  const columns = sql.join(EVENT_COLUMNS.map((c) => sql.ref(c)));
  const query = sql`
    WITH i AS (SELECT * FROM ${unnestRows(p, 'i', MANY_INPUT)}),
    counted AS (
      UPDATE users SET logins_count = logins_count + c.n, last_login = c.at
      FROM (SELECT login_user, count(*) AS n, max(login_at) AS at FROM i
            WHERE login_user IS NOT NULL GROUP BY login_user) AS c
      WHERE users.id = c.login_user AND users.id = ANY(${p(EVENT_COLUMNS.length)}::text[])
      RETURNING users.id
    )
    INSERT INTO events (${columns}) SELECT ${columns} FROM i ORDER BY ord`;
  return { compile: () => query.compile(db) };
});

/** The latest events, newest first. */
export async function listEvents(
  db: Kysely<Database>,
  opts: { limit?: number; type?: string; userId?: string } = {},
): Promise<LogEvent[]> {
  let q = db
    .selectFrom('events')
    .selectAll()
    .orderBy('seq', 'desc')
    .limit(opts.limit ?? 50);
  if (opts.type) q = q.where('type', '=', opts.type);
  if (opts.userId) q = q.where('user_id', '=', opts.userId);
  const rows = await q.execute();
  return rows.map(({ seq: _seq, details, ...r }) => ({
    ...r,
    details: details ? JSON.parse(details) : null,
  }));
}
