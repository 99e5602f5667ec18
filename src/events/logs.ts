import type { Kysely } from 'kysely';
import type { LogEvent } from '../store/repos/events.js';
import { countEvents, findEvent, queryEvents } from '../store/repos/events-query.js';
import type { Database } from '../store/schema.js';
import { LogQueryError, parseLogQuery } from './log-query.js';

export type { LogEvent };

/** What `GET /api/v2/logs` asks for (checked for types and limits at the edge). */
export interface LogSearch {
  /** The Lucene subset of log-query.ts. */
  q?: string;
  offset: number;
  limit: number;
  /** Oldest first or newest first (default). */
  order?: 'asc' | 'desc';
  /** Checkpoint paging: the events after this log_id, oldest first, at most `limit`. */
  from?: string;
  withTotal?: boolean;
}

/** A search of the audit log; `total` when asked. Throws `LogQueryError` for a bad `q` or `from`. */
export async function searchLogs(
  db: Kysely<Database>,
  s: LogSearch,
): Promise<{ events: LogEvent[]; total?: number }> {
  const filter = s.q === undefined || s.q.trim() === '' ? undefined : parseQ(s.q);
  if (s.from !== undefined) {
    const start = await findEvent(db, s.from);
    if (!start) throw new LogQueryError(`from: no log event has the id "${s.from.slice(0, 64)}"`);
    const events = await queryEvents(db, { filter, afterSeq: start.seq, order: 'asc', limit: s.limit });
    return { events };
  }
  const events = await queryEvents(db, { filter, order: s.order, offset: s.offset, limit: s.limit });
  return s.withTotal ? { events, total: await countEvents(db, filter) } : { events };
}

function parseQ(q: string) {
  try {
    return parseLogQuery(q);
  } catch (err) {
    if (err instanceof LogQueryError) throw new LogQueryError(`q: ${err.message}`);
    throw err;
  }
}

/** One audit event by its log_id. */
export async function getLog(db: Kysely<Database>, id: string): Promise<LogEvent | undefined> {
  const e = await findEvent(db, id);
  if (!e) return undefined;
  const { seq: _seq, ...event } = e;
  return event;
}

const SECRET_KEY = /password|secret|token|hash|ticket|otp|recovery|authorization|cookie/i;

/**
 * An event's details as the API shows them: any field whose name says it
 * holds a secret is dropped, however deep (events are written without
 * secrets; this keeps a future mistake out of the API).
 */
export function publicDetails(v: unknown, depth = 0): unknown {
  if (depth > 8 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => publicDetails(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (!SECRET_KEY.test(k)) out[k] = publicDetails(x, depth + 1);
  return out;
}
