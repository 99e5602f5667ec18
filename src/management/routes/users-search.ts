import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { managedUsersByEmail, searchManagedUsers } from '../../identity/find-users.js';
import { MAX_QUERY_LENGTH } from '../../identity/user-search.js';
import { requireScope } from '../auth.js';
import { PagedResponse, PagingFields, pageOf, pagedAnswer } from '../paging.js';
import { AUTH_ERRORS } from '../schemas.js';
import { UserView, userView } from '../user-view.js';

/** `fields` and `include_fields` (Auth0's): which fields of each user to answer, or to leave out. */
const FieldsFields = {
  fields: Type.Optional(
    Type.String({ maxLength: 1000, description: 'Comma-separated user fields to include (or exclude).' }),
  ),
  include_fields: Type.Optional(
    Type.Boolean({ description: 'true (default): only `fields`; false: all but `fields`.' }),
  ),
};

/** Applies `fields` / `include_fields` to a user view. */
function selectFields(
  view: Record<string, unknown>,
  q: { fields?: string; include_fields?: boolean },
): Record<string, unknown> {
  if (!q.fields) return view;
  const names = new Set(
    q.fields
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean),
  );
  const include = q.include_fields !== false;
  return Object.fromEntries(Object.entries(view).filter(([k]) => names.has(k) === include));
}

const SearchQuery = Type.Object(
  {
    ...PagingFields,
    ...FieldsFields,
    q: Type.Optional(
      Type.String({
        maxLength: MAX_QUERY_LENGTH,
        description:
          'Lucene subset: field:value, field:"quoted", value*, AND, OR, NOT, (…), logins_count:[a TO b]; fields email, username, user_id, name, nickname, given_name, family_name, blocked, email_verified, logins_count, app_metadata.*, user_metadata.*.',
      }),
    ),
    search_engine: Type.Optional(Type.Literal('v3', { description: 'Only v3.' })),
    sort: Type.Optional(
      Type.String({ maxLength: 64, description: '<field>:1 (ascending) or <field>:-1 (descending).' }),
    ),
  },
  { additionalProperties: false },
);

const ByEmailQuery = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 512, description: 'Exact, case-insensitive.' }),
    ...FieldsFields,
  },
  { additionalProperties: false },
);

/** GET /users (paging, search v3) and GET /users-by-email. */
export async function usersSearchRoutes(app: FastifyInstance): Promise<void> {
  const { rt } = app.management;

  app.get<{ Querystring: Static<typeof SearchQuery> }>(
    '/users',
    {
      onRequest: requireScope('read:users'),
      schema: {
        tags: ['users'],
        summary: 'List or search users',
        querystring: SearchQuery,
        response: { 200: PagedResponse('users', UserView), ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const page = pageOf(request.query);
      const { q, sort } = request.query;
      const { users, total } = await searchManagedUsers(rt.store, { q, sort, ...page });
      const views = users.map((u) => selectFields(userView(u), request.query));
      return pagedAnswer('users', views, total, page);
    },
  );

  app.get<{ Querystring: Static<typeof ByEmailQuery> }>(
    '/users-by-email',
    {
      onRequest: requireScope('read:users'),
      schema: {
        tags: ['users'],
        summary: 'Users with an email address',
        querystring: ByEmailQuery,
        response: { 200: Type.Array(UserView), ...AUTH_ERRORS },
      },
    },
    async (request) =>
      (await managedUsersByEmail(rt.store, request.query.email)).map((u) =>
        selectFields(userView(u), request.query),
      ),
  );
}
