import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { strict } from '../../schemas/common.js';
import { Rule } from '../../schemas/rule.js';
import { RULES, ruleView } from '../../tenant/objects/rules.js';
import { getItem, listItems, putItem, removeItem, updateItem } from '../../tenant/objects/sections.js';
import { audited } from '../audit.js';
import { requireScope } from '../auth.js';
import { FieldsFields, FieldsQuery, selectFields } from '../fields.js';
import { PagedResponse, PagingFields, pageArray, pageOf } from '../paging.js';
import { AUTH_ERRORS, ErrorBody, IdParams } from '../schemas.js';

/** PATCH /rules/{id}: any of the rule's fields (a new name keeps the id). */
const UpdateRuleBody = Type.Partial(Rule, strict({ description: 'Changes to a rule.' }));

const RuleView = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    script: Type.String(),
    enabled: Type.Boolean(),
    order: Type.Optional(Type.Integer()),
    stage: Type.String(),
  },
  { description: "A rule, in Auth0's shape (id `rul_…` from the name)." },
);

const ListQuery = Type.Object(
  { ...PagingFields, ...FieldsFields, enabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
type ListQuery = Static<typeof ListQuery>;
const tags = ['rules'];

/** Rules: CRUD of the tenant file's `rules` through the one write path (scripts compiled as apply does). */
export async function rulesRoutes(app: FastifyInstance): Promise<void> {
  const { rt } = app.management;

  app.get<{ Querystring: ListQuery }>(
    '/rules',
    {
      onRequest: requireScope('read:rules'),
      schema: {
        tags,
        summary: 'List rules',
        querystring: ListQuery,
        response: { 200: PagedResponse('rules', RuleView), ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const all = (await listItems(rt.store, RULES)).map((r) => ruleView(r.id, r.item));
      const { enabled } = request.query;
      const chosen = enabled === undefined ? all : all.filter((r) => r.enabled === enabled);
      return pageArray(
        'rules',
        chosen.map((r) => selectFields(r, request.query)),
        pageOf(request.query),
      );
    },
  );

  app.get<{ Params: IdParams; Querystring: FieldsQuery }>(
    '/rules/:id',
    {
      onRequest: requireScope('read:rules'),
      schema: {
        tags,
        summary: 'Get a rule',
        params: IdParams,
        querystring: FieldsQuery,
        response: { 200: RuleView, 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const r = await getItem(rt.store, RULES, request.params.id);
      return selectFields(ruleView(r.id, r.item), request.query);
    },
  );

  app.post<{ Body: Rule }>(
    '/rules',
    {
      onRequest: requireScope('create:rules'),
      schema: {
        tags,
        summary: 'Create a rule',
        body: Rule,
        response: { 201: RuleView, 409: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const r = await audited(
        request,
        { description: 'Create a Rule', details: { name: request.body.name } },
        () => putItem(rt.store, RULES, request.body, rt.now()),
      );
      return reply.code(201).send(ruleView(r.id, r.item));
    },
  );

  app.patch<{ Params: IdParams; Body: Static<typeof UpdateRuleBody> }>(
    '/rules/:id',
    {
      onRequest: requireScope('update:rules'),
      schema: {
        tags,
        summary: 'Update a rule',
        params: IdParams,
        body: UpdateRuleBody,
        response: { 200: RuleView, 404: ErrorBody, 409: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const { id } = request.params;
      const r = await audited(
        request,
        { description: 'Update a Rule', details: { id, fields: Object.keys(request.body) } },
        () => updateItem(rt.store, RULES, id, (old) => ({ ...old, ...request.body }), rt.now()),
      );
      return ruleView(r.id, r.item);
    },
  );

  app.delete<{ Params: IdParams }>(
    '/rules/:id',
    {
      onRequest: requireScope('delete:rules'),
      schema: {
        tags,
        summary: 'Delete a rule',
        params: IdParams,
        response: { 204: Type.Null(), 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await audited(request, { description: 'Delete a Rule', details: { id } }, () =>
        removeItem(rt.store, RULES, id, rt.now()),
      );
      return reply.code(204).send();
    },
  );
}
