import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';
import type { Database } from '../schema.js';
import type { LogEvent } from './events.js';

/** The columns of `events` a filter may compare. */
export type EventColumn =
  | 'type'
  | 'user_id'
  | 'user_name'
  | 'client_id'
  | 'client_name'
  | 'ip'
  | 'connection'
  | 'connection_id'
  | 'id';

/** A filter on events: equal terms combined with AND / OR (values are bound, never SQL text). */
export type EventFilter =
  | { kind: 'term'; column: EventColumn; value: string }
  | { kind: 'and' | 'or'; items: EventFilter[] };

export interface EventQuery {
  filter?: EventFilter;
  /** Newest first (default) or oldest first. */
  order?: 'asc' | 'desc';
  offset?: number;
  limit: number;
  /** Only events written after this one (its `seq`): checkpoint paging. */
  afterSeq?: number;
}

function condition(eb: ExpressionBuilder<Database, 'events'>, f: EventFilter): Expression<SqlBool> {
  if (f.kind === 'term') return eb(f.column, '=', f.value);
  const parts = f.items.map((i) => condition(eb, i));
  return f.kind === 'and' ? eb.and(parts) : eb.or(parts);
}

function filtered(db: Kysely<Database>, q: Pick<EventQuery, 'filter' | 'afterSeq'>) {
  let s = db.selectFrom('events');
  if (q.filter) {
    const filter = q.filter;
    s = s.where((eb) => condition(eb, filter));
  }
  if (q.afterSeq !== undefined) s = s.where('seq', '>', q.afterSeq);
  return s;
}

const parsed = ({
  seq: _seq,
  details,
  ...r
}: { seq: number; details: string | null } & Omit<LogEvent, 'details'>) => ({
  ...r,
  details: details ? (JSON.parse(details) as Record<string, unknown>) : null,
});

/** A page of events matching the query. */
export async function queryEvents(db: Kysely<Database>, q: EventQuery): Promise<LogEvent[]> {
  const rows = await filtered(db, q)
    .selectAll()
    .orderBy('seq', q.order ?? 'desc')
    .offset(q.offset ?? 0)
    .limit(q.limit)
    .execute();
  return rows.map(parsed);
}

/** How many events match the filter. */
export async function countEvents(db: Kysely<Database>, filter?: EventFilter): Promise<number> {
  const r = await filtered(db, { filter })
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** One event by its id, with its `seq` (the checkpoint of `from`). */
export async function findEvent(
  db: Kysely<Database>,
  id: string,
): Promise<(LogEvent & { seq: number }) | undefined> {
  const row = await db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? { ...parsed(row), seq: Number(row.seq) } : undefined;
}
