import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Client } from '../../schemas/client.js';
import { strict } from '../../schemas/common.js';
import {
  type ClientWithSecret,
  createClientObject,
  deleteClientObject,
  getClientObject,
  listClientObjects,
  rotateClientObjectSecret,
  updateClientObject,
} from '../../tenant/objects/clients.js';
import { audited } from '../audit.js';
import { requireScope } from '../auth.js';
import { commaList, FieldsFields, FieldsQuery, selectFields } from '../fields.js';
import {
  CheckpointFields,
  checkpointAnswer,
  isCheckpoint,
  CheckpointedResponse,
  PagingFields,
  pageArray,
  pageOf,
} from '../paging.js';
import { AUTH_ERRORS, ErrorBody } from '../schemas.js';

const { client_id, token_endpoint_auth_method, grant_types, ...optional } = Client.properties;

/** POST /clients: the tenant file's client; client_id drawn, method `client_secret_post` and no grant types when absent. */
const CreateClientBody = Type.Object(
  {
    ...optional,
    client_id: Type.Optional(client_id),
    token_endpoint_auth_method: Type.Optional(token_endpoint_auth_method),
    grant_types: Type.Optional(grant_types),
  },
  strict({ description: 'A new application (client).' }),
);

/** PATCH /clients/{client_id}: the fields to replace (client_id cannot change). */
const UpdateClientBody = Type.Object(
  {
    ...Object.fromEntries(Object.entries(optional).map(([k, v]) => [k, Type.Optional(v)])),
    token_endpoint_auth_method: Type.Optional(token_endpoint_auth_method),
    grant_types: Type.Optional(grant_types),
  },
  strict({ description: 'Changes to a client.' }),
);

/** A client in Auth0's shape; `client_secret` only in the answer that drew it. */
const ClientView = Type.Object(
  { client_id: Type.String(), name: Type.String(), client_secret: Type.Optional(Type.String()) },
  { additionalProperties: true, description: 'An application (client), the tenant file fields.' },
);

const ClientParams = Type.Object(
  { client_id: Type.String({ minLength: 1, maxLength: 255 }) },
  { additionalProperties: false },
);
type ClientParams = Static<typeof ClientParams>;

const ListQuery = Type.Object(
  {
    ...PagingFields,
    ...CheckpointFields,
    ...FieldsFields,
    is_global: Type.Optional(Type.Boolean({ description: 'true: the global client (Tessera has none).' })),
    is_first_party: Type.Optional(
      Type.Boolean({ description: 'Only first-party (or third-party) clients.' }),
    ),
    app_type: Type.Optional(Type.String({ maxLength: 256, description: 'Comma-separated app types.' })),
    client_ids: Type.Optional(Type.String({ maxLength: 10_000, description: 'Comma-separated client ids.' })),
  },
  { additionalProperties: false },
);
type ListQuery = Static<typeof ListQuery>;

const view = (r: ClientWithSecret) => (r.secret ? { ...r.client, client_secret: r.secret } : r.client);
const tags = ['clients'];

/** Clients (applications): CRUD and secret rotation, through the tenant objects' one write path. */
export async function clientsRoutes(app: FastifyInstance): Promise<void> {
  const { rt } = app.management;

  app.get<{ Querystring: ListQuery }>(
    '/clients',
    {
      onRequest: requireScope('read:clients'),
      schema: {
        tags,
        summary: 'List clients',
        querystring: ListQuery,
        response: { 200: CheckpointedResponse('clients', ClientView), ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const q = request.query;
      const types = commaList(q.app_type);
      const ids = commaList(q.client_ids);
      const chosen = (await listClientObjects(rt.store)).filter(
        (c) =>
          q.is_global !== true &&
          // A client is first-party unless it says otherwise (Auth0's default).
          (q.is_first_party === undefined || (c.is_first_party ?? true) === q.is_first_party) &&
          (!types || types.has(c.app_type ?? '')) &&
          (!ids || ids.has(c.client_id)),
      );
      const views = chosen.map((c) => selectFields(c, q));
      if (isCheckpoint(q)) return checkpointAnswer('clients', views, (_, i) => chosen[i]!.client_id, q);
      return pageArray('clients', views, pageOf(q));
    },
  );

  app.get<{ Params: ClientParams; Querystring: FieldsQuery }>(
    '/clients/:client_id',
    {
      onRequest: requireScope('read:clients'),
      schema: {
        tags,
        summary: 'Get a client',
        params: ClientParams,
        querystring: FieldsQuery,
        response: { 200: ClientView, 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => selectFields(await getClientObject(rt.store, request.params.client_id), request.query),
  );

  app.post<{ Body: Static<typeof CreateClientBody> }>(
    '/clients',
    {
      onRequest: requireScope('create:clients'),
      schema: {
        tags,
        summary: 'Create a client (a confidential one gets a drawn secret, answered once)',
        body: CreateClientBody,
        response: { 201: ClientView, 409: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const input = {
        ...body,
        token_endpoint_auth_method: body.token_endpoint_auth_method ?? 'client_secret_post',
        grant_types: body.grant_types ?? [],
      } as Parameters<typeof createClientObject>[1];
      const created = await audited(
        request,
        { description: 'Create a Client', details: { client_id: body.client_id ?? null } },
        () => createClientObject(rt.store, input, rt.now()),
      );
      return reply.code(201).send(view(created));
    },
  );

  app.patch<{ Params: ClientParams; Body: Static<typeof UpdateClientBody> }>(
    '/clients/:client_id',
    {
      onRequest: requireScope('update:clients'),
      schema: {
        tags,
        summary: 'Update a client',
        params: ClientParams,
        body: UpdateClientBody,
        response: { 200: ClientView, 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const id = request.params.client_id;
      const updated = await audited(
        request,
        { description: 'Update a Client', details: { client_id: id, fields: Object.keys(request.body) } },
        () => updateClientObject(rt.store, id, request.body, rt.now()),
      );
      return view(updated);
    },
  );

  app.post<{ Params: ClientParams }>(
    '/clients/:client_id/rotate-secret',
    {
      onRequest: requireScope('update:clients'),
      schema: {
        tags,
        summary: "Rotate a client's secret (the new one is answered once)",
        params: ClientParams,
        response: { 200: ClientView, 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const id = request.params.client_id;
      const rotated = await audited(
        request,
        { description: 'Rotate a Client Secret', details: { client_id: id } },
        () => rotateClientObjectSecret(rt.store, id, rt.now()),
      );
      return view(rotated);
    },
  );

  app.delete<{ Params: ClientParams }>(
    '/clients/:client_id',
    {
      onRequest: requireScope('delete:clients'),
      schema: {
        tags,
        summary: 'Delete a client (and its client grants)',
        params: ClientParams,
        response: { 204: Type.Null(), 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const id = request.params.client_id;
      await audited(request, { description: 'Delete a Client', details: { client_id: id } }, () =>
        deleteClientObject(rt.store, id, rt.now()),
      );
      return reply.code(204).send();
    },
  );
}
