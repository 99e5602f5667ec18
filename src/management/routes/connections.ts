import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { strict } from '../../schemas/common.js';
import { Connection } from '../../schemas/connection.js';
import {
  createConnectionObject,
  deleteConnectionObject,
  getConnectionObject,
  listConnectionObjects,
  updateConnectionObject,
} from '../../tenant/objects/connections.js';
import { audited } from '../audit.js';
import { requireScope } from '../auth.js';
import { FieldsFields, FieldsQuery, manyOf, OneOrMany, selectFields } from '../fields.js';
import {
  CheckpointFields,
  checkpointAnswer,
  isCheckpoint,
  CheckpointedResponse,
  PagingFields,
  pageArray,
  pageOf,
} from '../paging.js';
import { AUTH_ERRORS, ErrorBody, IdParams } from '../schemas.js';

const { name: _n, strategy: _s, ...changeable } = Connection.properties;

/** PATCH /connections/{id}: what may change (name and strategy cannot). */
const UpdateConnectionBody = Type.Object(
  Object.fromEntries(Object.entries(changeable).map(([k, v]) => [k, Type.Optional(v)])),
  strict({ description: 'Changes to a connection.' }),
);

const ConnectionView = Type.Object(
  { id: Type.String(), name: Type.String(), strategy: Type.String() },
  { additionalProperties: true, description: 'A database connection, the tenant file fields and its id.' },
);

const ListQuery = Type.Object(
  {
    ...PagingFields,
    ...CheckpointFields,
    ...FieldsFields,
    strategy: OneOrMany(Type.String({ maxLength: 64 }), 'Only connections of these strategies.'),
    name: Type.Optional(Type.String({ maxLength: 128, description: 'Only the connection of this name.' })),
  },
  { additionalProperties: false },
);
type ListQuery = Static<typeof ListQuery>;
const tags = ['connections'];

/** Connections: CRUD through the tenant objects' one write path (DELETE takes the users too). */
export async function connectionsRoutes(app: FastifyInstance): Promise<void> {
  const { rt } = app.management;

  app.get<{ Querystring: ListQuery }>(
    '/connections',
    {
      onRequest: requireScope('read:connections'),
      schema: {
        tags,
        summary: 'List connections',
        querystring: ListQuery,
        response: { 200: CheckpointedResponse('connections', ConnectionView), ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const q = request.query;
      const strategies = manyOf(q.strategy);
      const all = (await listConnectionObjects(rt.store)).filter(
        (c) =>
          (!strategies || strategies.includes(c.strategy)) && (q.name === undefined || c.name === q.name),
      );
      const views = all.map((c) => selectFields(c, q));
      if (isCheckpoint(q)) return checkpointAnswer('connections', views, (_, i) => all[i]!.id, q);
      return pageArray('connections', views, pageOf(q));
    },
  );

  app.get<{ Params: IdParams; Querystring: FieldsQuery }>(
    '/connections/:id',
    {
      onRequest: requireScope('read:connections'),
      schema: {
        tags,
        summary: 'Get a connection',
        params: IdParams,
        querystring: FieldsQuery,
        response: { 200: ConnectionView, 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => selectFields(await getConnectionObject(rt.store, request.params.id), request.query),
  );

  app.post<{ Body: Connection }>(
    '/connections',
    {
      onRequest: requireScope('create:connections'),
      schema: {
        tags,
        summary: 'Create a connection',
        body: Connection,
        response: { 201: ConnectionView, 409: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const created = await audited(
        request,
        { description: 'Create a Connection', details: { name: request.body.name } },
        () => createConnectionObject(rt.store, request.body, rt.now()),
      );
      return reply.code(201).send(created);
    },
  );

  app.patch<{ Params: IdParams; Body: Record<string, unknown> }>(
    '/connections/:id',
    {
      onRequest: requireScope('update:connections'),
      schema: {
        tags,
        summary: 'Update a connection',
        params: IdParams,
        body: UpdateConnectionBody,
        response: { 200: ConnectionView, 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const { id } = request.params;
      return audited(
        request,
        { description: 'Update a Connection', details: { id, fields: Object.keys(request.body) } },
        () => updateConnectionObject(rt.store, id, request.body, rt.now()),
      );
    },
  );

  app.delete<{ Params: IdParams }>(
    '/connections/:id',
    {
      onRequest: requireScope('delete:connections'),
      schema: {
        tags,
        summary: 'Delete a connection and its users',
        params: IdParams,
        response: { 202: Type.Null(), 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await audited(request, { description: 'Delete a Connection', details: { id } }, () =>
        deleteConnectionObject(rt.store, id),
      );
      return reply.code(202).send();
    },
  );
}
