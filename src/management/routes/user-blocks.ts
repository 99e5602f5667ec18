import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { blockedFor, liftBlockedFor } from '../../protection/admin-blocks.js';
import { audited } from '../audit.js';
import { requireScope } from '../auth.js';
import { AUTH_ERRORS, ErrorBody, IdParams } from '../schemas.js';

/** Auth0's answer: the brute-force blocks in force. */
const BlockedFor = Type.Object(
  {
    blocked_for: Type.Array(
      Type.Object({
        identifier: Type.String(),
        ip: Type.Optional(Type.String()),
        connection: Type.Optional(Type.String()),
      }),
    ),
  },
  { description: 'The brute-force blocks in force (identifier, from which IP, in which connection).' },
);

const IdentifierQuery = Type.Object(
  {
    identifier: Type.String({
      minLength: 1,
      maxLength: 512,
      description: 'An email, username or phone number.',
    }),
    consider_brute_force_enablement: Type.Optional(Type.Boolean({ description: 'Accepted (Auth0).' })),
  },
  { additionalProperties: false },
);
type IdentifierQuery = Static<typeof IdentifierQuery>;

const UserQuery = Type.Object(
  { consider_brute_force_enablement: Type.Optional(Type.Boolean({ description: 'Accepted (Auth0).' })) },
  { additionalProperties: false },
);

/**
 * User blocks (spec sections 6, 8, 11): the brute-force blocks of a user
 * (its user_id, email and username in its connection) or of an identifier
 * (in every connection), and lifting them. A user blocked by an
 * administrator (`blocked: true`) stays blocked, as at Auth0.
 */
export async function userBlocksRoutes(app: FastifyInstance): Promise<void> {
  const { rt } = app.management;
  const db = rt.store.db;
  const tags = ['user-blocks'];

  app.get<{ Params: IdParams }>(
    '/user-blocks/:id',
    {
      onRequest: requireScope('read:users'),
      schema: {
        tags,
        summary: "Get a user's brute-force blocks",
        params: IdParams,
        querystring: UserQuery,
        response: { 200: BlockedFor, 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => ({ blocked_for: await blockedFor(db, { user: request.params.id }) }),
  );

  app.delete<{ Params: IdParams }>(
    '/user-blocks/:id',
    {
      onRequest: requireScope('update:users'),
      schema: {
        tags,
        summary: "Lift a user's brute-force blocks",
        params: IdParams,
        response: { 204: Type.Null(), 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const userId = request.params.id;
      await audited(request, { description: 'Unblock a User', userId }, () =>
        liftBlockedFor(db, { user: userId }, rt.now()),
      );
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: IdentifierQuery }>(
    '/user-blocks',
    {
      onRequest: requireScope('read:users'),
      schema: {
        tags,
        summary: "Get an identifier's brute-force blocks",
        querystring: IdentifierQuery,
        response: { 200: BlockedFor, ...AUTH_ERRORS },
      },
    },
    async (request) => ({ blocked_for: await blockedFor(db, { identifier: request.query.identifier }) }),
  );

  app.delete<{ Querystring: IdentifierQuery }>(
    '/user-blocks',
    {
      onRequest: requireScope('update:users'),
      schema: {
        tags,
        summary: "Lift an identifier's brute-force blocks",
        querystring: IdentifierQuery,
        response: { 204: Type.Null(), ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const { identifier } = request.query;
      await audited(request, { description: 'Unblock a User by identifier', details: { identifier } }, () =>
        liftBlockedFor(db, { identifier }, rt.now()),
      );
      return reply.code(204).send();
    },
  );
}
