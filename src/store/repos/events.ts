import type { Kysely } from 'kysely';
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

export async function insertEvent(db: Kysely<Database>, e: LogEvent): Promise<void> {
  await db
    .insertInto('events')
    .values({
      id: e.id,
      date: e.date,
      type: e.type,
      description: e.description ?? null,
      client_id: e.client_id ?? null,
      client_name: e.client_name ?? null,
      connection: e.connection ?? null,
      connection_id: e.connection_id ?? null,
      user_id: e.user_id ?? null,
      user_name: e.user_name ?? null,
      ip: e.ip ?? null,
      client_ip: e.client_ip ?? null,
      user_agent: e.user_agent ?? null,
      details: e.details ? JSON.stringify(e.details) : null,
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
