import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  createManagedUser,
  deleteManagedUser,
  getManagedUser,
  listManagedUsers,
  updateManagedUser,
} from '../../identity/manage-users.js';
import { Email, Metadata, Name, NonEmpty, Text, strict } from '../../schemas/common.js';
import { User } from '../../schemas/user.js';
import { audited } from '../audit.js';
import { requireScope } from '../auth.js';
import { PagedResponse, PagingQuery, pageOf, pagedAnswer } from '../paging.js';
import { AUTH_ERRORS, ErrorBody, IdParams } from '../schemas.js';
import { UserView, userView } from '../user-view.js';

const { custom_password_hash: _h, roles: _r, permissions: _p, ...userFields } = User.properties;

/** POST /users: the tenant file's user fields (but RBAC and imported hashes), and Auth0's `verify_email`. */
const CreateUserBody = Type.Object(
  { ...userFields, verify_email: Type.Optional(Type.Boolean({ description: 'Send a verification email.' })) },
  strict({ description: 'A new user of a database connection.' }),
);

const nullable = (t: ReturnType<typeof Text>) => Type.Union([t, Type.Null()]);

/** PATCH /users/{id}: what may change. `user_id` cannot (an unknown field: 400). */
const UpdateUserBody = Type.Object(
  {
    connection: Type.Optional(Name({ description: 'The connection (accepted, not changed).' })),
    password: Type.Optional(NonEmpty({ description: 'A new password; ends the sessions.' })),
    blocked: Type.Optional(Type.Boolean()),
    email: Type.Optional(Email()),
    email_verified: Type.Optional(Type.Boolean()),
    verify_email: Type.Optional(Type.Boolean()),
    username: Type.Optional(Name()),
    app_metadata: Type.Optional(Metadata({ description: 'Merged: top-level keys replaced, null removes.' })),
    user_metadata: Type.Optional(Metadata({ description: 'Merged: top-level keys replaced, null removes.' })),
    name: Type.Optional(nullable(Text())),
    nickname: Type.Optional(nullable(Text())),
    picture: Type.Optional(nullable(Text())),
    given_name: Type.Optional(nullable(Text())),
    family_name: Type.Optional(nullable(Text())),
  },
  strict({ description: 'Changes to a user.' }),
);

/** Users (spec section 11): create, read, update, delete. */
export async function usersRoutes(app: FastifyInstance): Promise<void> {
  const { rt } = app.management;
  const passwordOpts = { breachedPasswords: rt.config.breachedPasswords };

  app.post<{ Body: Static<typeof CreateUserBody> }>(
    '/users',
    {
      onRequest: requireScope('create:users'),
      schema: {
        tags: ['users'],
        summary: 'Create a user',
        body: CreateUserBody,
        response: { 201: UserView, 409: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const { verify_email: _v, ...input } = request.body;
      const created = await audited(
        request,
        { description: 'Create a User', details: { connection: input.connection } },
        () => createManagedUser(rt.store, input, rt.now(), passwordOpts),
        (u) => u.user.user_id,
      );
      return reply.code(201).send(userView(created));
    },
  );

  app.get<{ Querystring: PagingQuery }>(
    '/users',
    {
      onRequest: requireScope('read:users'),
      schema: {
        tags: ['users'],
        summary: 'List users (paging; search comes with q)',
        querystring: PagingQuery,
        response: { 200: PagedResponse('users', UserView), ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const page = pageOf(request.query);
      const { users, total } = await listManagedUsers(rt.store, page);
      return pagedAnswer('users', users.map(userView), total, page);
    },
  );

  app.get<{ Params: IdParams }>(
    '/users/:id',
    {
      onRequest: requireScope('read:users'),
      schema: {
        tags: ['users'],
        summary: 'Get a user',
        params: IdParams,
        response: { 200: UserView, 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => userView(await getManagedUser(rt.store, request.params.id)),
  );

  app.patch<{ Params: IdParams; Body: Static<typeof UpdateUserBody> }>(
    '/users/:id',
    {
      onRequest: requireScope('update:users'),
      schema: {
        tags: ['users'],
        summary: 'Update a user',
        params: IdParams,
        body: UpdateUserBody,
        response: { 200: UserView, 404: ErrorBody, 409: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const { connection: _c, verify_email: _v, ...patch } = request.body;
      const userId = request.params.id;
      const updated = await audited(
        request,
        { description: 'Update a User', userId, details: { fields: Object.keys(request.body) } },
        () => updateManagedUser(rt.store, userId, patch, rt.now(), passwordOpts),
      );
      return userView(updated);
    },
  );

  app.delete<{ Params: IdParams }>(
    '/users/:id',
    {
      onRequest: requireScope('delete:users'),
      schema: {
        tags: ['users'],
        summary: 'Delete a user',
        params: IdParams,
        response: { 204: Type.Null(), 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const userId = request.params.id;
      await audited(request, { description: 'Delete a User', userId }, () =>
        deleteManagedUser(rt.store, userId, rt.now()),
      );
      return reply.code(204).send();
    },
  );
}
