import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ClientGrant } from '../../schemas/client-grant.js';
import { strict } from '../../schemas/common.js';
import { CLIENT_GRANTS, clientGrantView } from '../../tenant/objects/rules.js';
import { listItems, putItem, removeItem, updateItem } from '../../tenant/objects/sections.js';
import { audited } from '../audit.js';
import { requireScope } from '../auth.js';
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

/** PATCH /client-grants/{id}: only the scopes change. */
const UpdateGrantBody = Type.Object(
  { scope: ClientGrant.properties.scope },
  strict({ description: 'New scopes of a client grant.' }),
);

const GrantView = Type.Object(
  { id: Type.String(), client_id: Type.String(), audience: Type.String(), scope: Type.Array(Type.String()) },
  { description: 'A client grant (id `cgr_…` from the client and the audience).' },
);

const ListQuery = Type.Object(
  {
    ...PagingFields,
    ...CheckpointFields,
    audience: Type.Optional(Type.String({ maxLength: 1024 })),
    client_id: Type.Optional(Type.String({ maxLength: 255 })),
  },
  { additionalProperties: false },
);
type ListQuery = Static<typeof ListQuery>;
const tags = ['client-grants'];

/** Client grants: CRUD of the tenant file's `clientGrants` through the one write path. */
export async function clientGrantsRoutes(app: FastifyInstance): Promise<void> {
  const { rt } = app.management;

  app.get<{ Querystring: ListQuery }>(
    '/client-grants',
    {
      onRequest: requireScope('read:client_grants'),
      schema: {
        tags,
        summary: 'List client grants',
        querystring: ListQuery,
        response: { 200: CheckpointedResponse('client_grants', GrantView), ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const { audience, client_id } = request.query;
      const all = (await listItems(rt.store, CLIENT_GRANTS))
        .map((g) => clientGrantView(g.id, g.item))
        .filter((g) => (!audience || g.audience === audience) && (!client_id || g.client_id === client_id));
      if (isCheckpoint(request.query))
        return checkpointAnswer('client_grants', all, (g) => g.id, request.query);
      return pageArray('client_grants', all, pageOf(request.query));
    },
  );

  app.post<{ Body: ClientGrant }>(
    '/client-grants',
    {
      onRequest: requireScope('create:client_grants'),
      schema: {
        tags,
        summary: 'Create a client grant (the built-in <issuer>api/v2/ audience included)',
        body: ClientGrant,
        response: { 201: GrantView, 409: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const { client_id, audience } = request.body;
      const g = await audited(
        request,
        { description: 'Create a Client Grant', details: { client_id, audience } },
        () => putItem(rt.store, CLIENT_GRANTS, request.body, rt.now()),
      );
      return reply.code(201).send(clientGrantView(g.id, g.item));
    },
  );

  app.patch<{ Params: IdParams; Body: Static<typeof UpdateGrantBody> }>(
    '/client-grants/:id',
    {
      onRequest: requireScope('update:client_grants'),
      schema: {
        tags,
        summary: "Change a client grant's scopes",
        params: IdParams,
        body: UpdateGrantBody,
        response: { 200: GrantView, 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const { id } = request.params;
      const g = await audited(request, { description: 'Update a Client Grant', details: { id } }, () =>
        updateItem(rt.store, CLIENT_GRANTS, id, (old) => ({ ...old, scope: request.body.scope }), rt.now()),
      );
      return clientGrantView(g.id, g.item);
    },
  );

  app.delete<{ Params: IdParams }>(
    '/client-grants/:id',
    {
      onRequest: requireScope('delete:client_grants'),
      schema: {
        tags,
        summary: 'Delete a client grant',
        params: IdParams,
        response: { 204: Type.Null(), 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await audited(request, { description: 'Delete a Client Grant', details: { id } }, () =>
        removeItem(rt.store, CLIENT_GRANTS, id, rt.now()),
      );
      return reply.code(204).send();
    },
  );
}
