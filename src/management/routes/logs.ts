import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { managementErrors } from '../../errors/index.js';
import { LogQueryError, MAX_QUERY_LENGTH } from '../../events/log-query.js';
import { getLog, type LogEvent, publicDetails, searchLogs } from '../../events/logs.js';
import { requireScope } from '../auth.js';
import { FieldsFields, selectFields } from '../fields.js';
import { MAX_PER_PAGE, PagedResponse, PagingFields, pageOf, pagedAnswer } from '../paging.js';
import { AUTH_ERRORS, ErrorBody, IdParams } from '../schemas.js';

const nullable = () => Type.Union([Type.String(), Type.Null()]);

/** One audit event, as Auth0's log API shows it. */
const LogView = Type.Object(
  {
    log_id: Type.String(),
    date: Type.String({ description: 'ISO 8601.' }),
    type: Type.String({ description: "Auth0's event code: s, fp, sapi…" }),
    description: nullable(),
    client_id: nullable(),
    client_name: nullable(),
    ip: nullable(),
    user_agent: nullable(),
    user_id: nullable(),
    user_name: nullable(),
    connection: nullable(),
    connection_id: nullable(),
    details: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  },
  { description: 'An audit event (never a secret).' },
);

const LogsQuery = Type.Object(
  {
    ...PagingFields,
    q: Type.Optional(
      Type.String({
        maxLength: MAX_QUERY_LENGTH,
        description: 'Lucene subset: field:value, field:"quoted", AND, OR, parentheses.',
      }),
    ),
    sort: Type.Optional(
      Type.String({
        pattern: '^date:(1|-1)$',
        description: 'date:1 (oldest first) or date:-1 (newest first).',
      }),
    ),
    from: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'Checkpoint: the events after this log_id.' }),
    ),
    take: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_PER_PAGE,
        description: `With from: at most this many (≤ ${MAX_PER_PAGE}).`,
      }),
    ),
    ...FieldsFields,
  },
  { additionalProperties: false },
);
type LogsQuery = Static<typeof LogsQuery>;

function logView(e: LogEvent) {
  return {
    log_id: e.id,
    date: new Date(e.date).toISOString(),
    type: e.type,
    description: e.description ?? null,
    client_id: e.client_id ?? null,
    client_name: e.client_name ?? null,
    ip: e.ip ?? null,
    user_agent: e.user_agent ?? null,
    user_id: e.user_id ?? null,
    user_name: e.user_name ?? null,
    connection: e.connection ?? null,
    connection_id: e.connection_id ?? null,
    details: e.details ? (publicDetails(e.details) as Record<string, unknown>) : null,
  };
}

/**
 * Logs (spec section 11): the audit log, with Auth0's paging (`page`,
 * `per_page`, `include_totals`), checkpoints (`from` a log_id, `take`) and
 * `q` (events/log-query.ts, values bound as parameters).
 */
export async function logsRoutes(app: FastifyInstance): Promise<void> {
  const { rt } = app.management;

  app.get<{ Querystring: LogsQuery }>(
    '/logs',
    {
      onRequest: requireScope('read:logs', 'read:logs_users'),
      schema: {
        tags: ['logs'],
        summary: 'Search the audit log',
        querystring: LogsQuery,
        response: { 200: PagedResponse('logs', Type.Any()), ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const query = request.query;
      const page = pageOf(query);
      const checkpoint = query.from !== undefined;
      const limit = query.take ?? page.limit;
      try {
        const { events, total } = await searchLogs(rt.store.db, {
          q: query.q,
          offset: checkpoint ? 0 : page.offset,
          limit,
          order: query.sort === 'date:1' ? 'asc' : 'desc',
          from: query.from,
          withTotal: page.includeTotals && !checkpoint,
        });
        const views = events.map((e) => selectFields(logView(e), query));
        if (checkpoint) return views;
        return pagedAnswer('logs', views, total ?? 0, { ...page, limit });
      } catch (err) {
        if (err instanceof LogQueryError)
          throw managementErrors.invalidQuery(`Query validation error: ${err.message}`);
        throw err;
      }
    },
  );

  app.get<{ Params: IdParams }>(
    '/logs/:id',
    {
      onRequest: requireScope('read:logs', 'read:logs_users'),
      schema: {
        tags: ['logs'],
        summary: 'Get an audit event',
        params: IdParams,
        response: { 200: LogView, 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const e = await getLog(rt.store.db, request.params.id);
      if (!e) throw managementErrors.notFound('Log not found', 'inexistent_log');
      return logView(e);
    },
  );
}
