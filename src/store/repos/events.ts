import type { Kysely } from 'kysely';
import { safeText, safeValue } from '../safe-text.js';
import type { Database } from '../schema.js';

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

/**
 * Writes an audit event. Its text often comes from the request (a username,
 * a client_id, a user agent), so every field is made storable first: NUL and
 * broken Unicode replaced, cut to its column. An attempt is never lost to
 * what it typed.
 */
export async function insertEvent(db: Kysely<Database>, e: LogEvent): Promise<void> {
  const text = (v: string | null | undefined, max?: number) =>
    v === undefined || v === null ? null : safeText(String(v), max);
  await db
    .insertInto('events')
    .values({
      id: safeText(e.id, WIDTH.id),
      date: e.date,
      type: safeText(e.type, WIDTH.type),
      description: text(e.description),
      client_id: text(e.client_id, WIDTH.client_id),
      client_name: text(e.client_name, WIDTH.client_name),
      connection: text(e.connection, WIDTH.connection),
      connection_id: text(e.connection_id, WIDTH.connection_id),
      user_id: text(e.user_id, WIDTH.user_id),
      user_name: text(e.user_name, WIDTH.user_name),
      ip: text(e.ip, WIDTH.ip),
      client_ip: text(e.client_ip, WIDTH.client_ip),
      user_agent: text(e.user_agent),
      details: e.details ? JSON.stringify(safeValue(e.details)) : null,
    })
    .execute();
}

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
