import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { managedUsersByEmail, searchManagedUsers } from '../../identity/find-users.js';
import { MAX_QUERY_LENGTH } from '../../identity/user-search.js';
import { requireScope } from '../auth.js';
import { FieldsFields, selectFields } from '../fields.js';
import { PagedResponse, PagingFields, pageOf, pagedAnswer } from '../paging.js';
import { AUTH_ERRORS } from '../schemas.js';
import { UserView, userView } from '../user-view.js';

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
