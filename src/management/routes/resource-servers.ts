import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { strict } from '../../schemas/common.js';
import { ResourceServer } from '../../schemas/resource-server.js';
import {
  createResourceServerObject,
  deleteResourceServerObject,
  getResourceServerObject,
  listResourceServerObjects,
  updateResourceServerObject,
} from '../../tenant/objects/resource-servers.js';
import { audited } from '../audit.js';
import { requireScope } from '../auth.js';
import { manyOf, OneOrMany } from '../fields.js';
import { PagedResponse, PagingFields, pageArray, pageOf } from '../paging.js';
import { AUTH_ERRORS, ErrorBody, IdParams } from '../schemas.js';

const { identifier: _i, ...changeable } = ResourceServer.properties;

/** PATCH /resource-servers/{id}: what may change (the identifier cannot). */
const UpdateResourceServerBody = Type.Object(
  Object.fromEntries(Object.entries(changeable).map(([k, v]) => [k, Type.Optional(v)])),
  strict({ description: 'Changes to an API.' }),
);

const ResourceServerView = Type.Object(
  { id: Type.String(), identifier: Type.String() },
  { additionalProperties: true, description: 'An API (resource server), the tenant file fields and its id.' },
);
const ListQuery = Type.Object(
  {
    ...PagingFields,
    identifiers: OneOrMany(Type.String({ maxLength: 1024 }), 'Only the APIs with these identifiers.'),
    include_fields: Type.Optional(Type.Boolean({ description: 'Accepted (Auth0 sends it); no effect.' })),
  },
  { additionalProperties: false },
);
type ListQuery = Static<typeof ListQuery>;
const tags = ['resource-servers'];

/** APIs (resource servers): CRUD by id or identifier, through the tenant objects' one write path. */
export async function resourceServersRoutes(app: FastifyInstance): Promise<void> {
  const { rt } = app.management;

  app.get<{ Querystring: ListQuery }>(
    '/resource-servers',
    {
      onRequest: requireScope('read:resource_servers'),
      schema: {
        tags,
        summary: 'List APIs',
        querystring: ListQuery,
        response: { 200: PagedResponse('resource_servers', ResourceServerView), ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const identifiers = manyOf(request.query.identifiers);
      const all = (await listResourceServerObjects(rt.store)).filter(
        (r) => !identifiers || identifiers.includes(r.identifier),
      );
      return pageArray('resource_servers', all, pageOf(request.query));
    },
  );

  app.get<{ Params: IdParams }>(
    '/resource-servers/:id',
    {
      onRequest: requireScope('read:resource_servers'),
      schema: {
        tags,
        summary: 'Get an API (by id or identifier)',
        params: IdParams,
        response: { 200: ResourceServerView, 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => getResourceServerObject(rt.store, request.params.id),
  );

  app.post<{ Body: ResourceServer }>(
    '/resource-servers',
    {
      onRequest: requireScope('create:resource_servers'),
      schema: {
        tags,
        summary: 'Create an API',
        body: ResourceServer,
        response: { 201: ResourceServerView, 409: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const created = await audited(
        request,
        { description: 'Create a Resource Server', details: { identifier: request.body.identifier } },
        () => createResourceServerObject(rt.store, request.body, rt.now()),
      );
      return reply.code(201).send(created);
    },
  );

  app.patch<{ Params: IdParams; Body: Record<string, unknown> }>(
    '/resource-servers/:id',
    {
      onRequest: requireScope('update:resource_servers'),
      schema: {
        tags,
        summary: 'Update an API',
        params: IdParams,
        body: UpdateResourceServerBody,
        response: { 200: ResourceServerView, 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const { id } = request.params;
      return audited(
        request,
        { description: 'Update a Resource Server', details: { id, fields: Object.keys(request.body) } },
        () => updateResourceServerObject(rt.store, id, request.body, rt.now()),
      );
    },
  );

  app.delete<{ Params: IdParams }>(
    '/resource-servers/:id',
    {
      onRequest: requireScope('delete:resource_servers'),
      schema: {
        tags,
        summary: 'Delete an API',
        params: IdParams,
        response: { 204: Type.Null(), 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await audited(request, { description: 'Delete a Resource Server', details: { id } }, () =>
        deleteResourceServerObject(rt.store, id),
      );
      return reply.code(204).send();
    },
  );
}
