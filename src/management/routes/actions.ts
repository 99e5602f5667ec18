import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Action } from '../../schemas/action.js';
import { Name, strict, Text } from '../../schemas/common.js';
import { ACTIONS, actionView, createActionObject, updateActionObject } from '../../tenant/objects/actions.js';
import { getItem, listItems } from '../../tenant/objects/sections.js';
import { deleteActionObject } from '../../tenant/objects/action-bindings.js';
import { audited } from '../audit.js';
import { requireAlso, requireScope } from '../auth.js';
import { PagingFields, pageOf } from '../paging.js';
import { AUTH_ERRORS, ErrorBody, IdParams } from '../schemas.js';

const Trigger = Type.Object(
  { id: Action.properties.trigger, version: Type.Optional(Type.String({ maxLength: 16 })) },
  strict({ description: 'The trigger it runs at; only "post-login".' }),
);
const Secret = Type.Object(
  { name: Name(), value: Type.Optional(Text({ description: 'Without it the stored value stays.' })) },
  strict({ description: 'A secret, read as event.secrets.NAME.' }),
);
const fields = {
  name: Action.properties.name,
  supported_triggers: Type.Array(Trigger, { minItems: 1, maxItems: 1 }),
  code: Action.properties.code,
  secrets: Type.Optional(Type.Array(Secret, { maxItems: 100 })),
  runtime: Type.Optional(Type.String({ maxLength: 16, description: 'Accepted, not used.' })),
  dependencies: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 0, description: 'None supported.' })),
  enabled: Action.properties.enabled,
  order: Action.properties.order,
};
const { name, supported_triggers, code, ...optional } = fields;

/** POST /actions/actions, in Auth0's shape. */
const CreateActionBody = Type.Object(fields, strict({ description: 'A new action.' }));
/** PATCH /actions/actions/{id}: any of its fields (a new name keeps the id). */
const UpdateActionBody = Type.Object(
  {
    ...optional,
    name: Type.Optional(name),
    supported_triggers: Type.Optional(supported_triggers),
    code: Type.Optional(code),
  },
  strict({ description: 'Changes to an action.' }),
);

const ActionView = Type.Object(
  { id: Type.String(), name: Type.String(), code: Type.String() },
  { additionalProperties: true, description: "An action in Auth0's shape (secret names only)." },
);
const ListQuery = Type.Object(
  {
    ...PagingFields,
    triggerId: Type.Optional(Type.String({ maxLength: 64, description: 'Only actions of this trigger.' })),
    actionName: Type.Optional(Type.String({ maxLength: 255, description: 'Only the action of this name.' })),
    deployed: Type.Optional(
      Type.Boolean({ description: 'true: only deployed actions (all are: Tessera keeps no drafts).' }),
    ),
    installed: Type.Optional(
      Type.Boolean({ description: 'true: only marketplace integrations (Tessera has none).' }),
    ),
  },
  { additionalProperties: false },
);
type ListQuery = Static<typeof ListQuery>;
const DeleteQuery = Type.Object(
  { force: Type.Optional(Type.Boolean({ description: 'Delete a bound action too, with its binding.' })) },
  { additionalProperties: false },
);
type DeleteQuery = Static<typeof DeleteQuery>;
const tags = ['actions'];

/**
 * Whether a create or an update also binds or unbinds the action, or moves
 * it among the bound ones (`enabled`, `order`: Tessera's shorthand for the
 * trigger's bindings), which takes update:triggers as the bindings do.
 */
const bindsIt = (body: { enabled?: unknown; order?: unknown }) =>
  body.enabled !== undefined || body.order !== undefined;

/**
 * Actions: CRUD of the tenant file's `actions` through the one write path;
 * deploy answers the action. One created here is not bound (it runs once
 * bound: action-triggers.ts), as in Auth0.
 */
export async function actionsRoutes(app: FastifyInstance): Promise<void> {
  const { rt } = app.management;

  app.get<{ Querystring: ListQuery }>(
    '/actions/actions',
    {
      onRequest: requireScope('read:actions'),
      schema: {
        tags,
        summary: 'List actions',
        querystring: ListQuery,
        response: {
          200: Type.Object({
            actions: Type.Array(ActionView),
            total: Type.Integer(),
            page: Type.Integer(),
            per_page: Type.Integer(),
          }),
          ...AUTH_ERRORS,
        },
      },
    },
    async (request) => {
      const page = pageOf(request.query);
      const { triggerId, actionName, installed } = request.query;
      const all = (await listItems(rt.store, ACTIONS))
        .filter(
          ({ item }) =>
            (triggerId === undefined || item.trigger === triggerId) &&
            (actionName === undefined || item.name === actionName) &&
            installed !== true,
        )
        .map((a) => actionView(a.id, a.item));
      return {
        actions: all.slice(page.offset, page.offset + page.limit),
        total: all.length,
        page: request.query.page ?? 0,
        per_page: page.limit,
      };
    },
  );

  app.get<{ Params: IdParams }>(
    '/actions/actions/:id',
    {
      onRequest: requireScope('read:actions'),
      schema: {
        tags,
        summary: 'Get an action',
        params: IdParams,
        response: { 200: ActionView, 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const a = await getItem(rt.store, ACTIONS, request.params.id);
      return actionView(a.id, a.item);
    },
  );

  app.post<{ Body: Static<typeof CreateActionBody> }>(
    '/actions/actions',
    {
      onRequest: requireScope('create:actions'),
      schema: {
        tags,
        summary: 'Create an action',
        body: CreateActionBody,
        response: { 201: ActionView, 409: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      if (bindsIt(request.body)) await requireAlso(app.management, request, 'update:triggers');
      const a = await audited(
        request,
        { description: 'Create an Action', details: { name: request.body.name } },
        () => createActionObject(rt.store, request.body, rt.now()),
      );
      return reply.code(201).send(actionView(a.id, a.item));
    },
  );

  app.patch<{ Params: IdParams; Body: Static<typeof UpdateActionBody> }>(
    '/actions/actions/:id',
    {
      onRequest: requireScope('update:actions'),
      schema: {
        tags,
        summary: 'Update an action',
        params: IdParams,
        body: UpdateActionBody,
        response: { 200: ActionView, 404: ErrorBody, 409: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const { id } = request.params;
      if (bindsIt(request.body)) await requireAlso(app.management, request, 'update:triggers');
      const a = await audited(
        request,
        { description: 'Update an Action', details: { id, fields: Object.keys(request.body) } },
        () => updateActionObject(rt.store, id, request.body, rt.now()),
      );
      return actionView(a.id, a.item);
    },
  );

  app.post<{ Params: IdParams }>(
    '/actions/actions/:id/deploy',
    {
      onRequest: requireScope('create:actions'),
      schema: {
        tags,
        summary: 'Deploy an action (a written action already runs: answers it)',
        params: IdParams,
        response: { 200: ActionView, 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const a = await getItem(rt.store, ACTIONS, request.params.id);
      return { ...actionView(a.id, a.item), action_id: a.id, deployed: true };
    },
  );

  app.delete<{ Params: IdParams; Querystring: DeleteQuery }>(
    '/actions/actions/:id',
    {
      onRequest: requireScope('delete:actions'),
      schema: {
        tags,
        summary: 'Delete an action (a bound one only with force=true)',
        params: IdParams,
        querystring: DeleteQuery,
        response: { 204: Type.Null(), 404: ErrorBody, 409: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const force = request.query.force === true;
      await audited(request, { description: 'Delete an Action', details: { id, force } }, () =>
        deleteActionObject(rt.store, id, rt.now(), force),
      );
      return reply.code(204).send();
    },
  );
}
