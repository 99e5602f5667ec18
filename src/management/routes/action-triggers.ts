import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { managementErrors } from '../../errors/index.js';
import { StringEnum, strict } from '../../schemas/common.js';
import { bindingView, listBindings, POST_LOGIN, setBindings } from '../../tenant/objects/action-bindings.js';
import { audited } from '../audit.js';
import { requireScope } from '../auth.js';
import { PagingFields, pageOf } from '../paging.js';
import { AUTH_ERRORS, ErrorBody } from '../schemas.js';

const TriggerParams = Type.Object(
  { triggerId: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);
type TriggerParams = Static<typeof TriggerParams>;
const ListQuery = Type.Object(PagingFields, { additionalProperties: false });
type ListQuery = Static<typeof ListQuery>;

const Ref = Type.Object(
  {
    type: StringEnum(['binding_id', 'action_id', 'action_name'], { description: 'What `value` is.' }),
    value: Type.String({ minLength: 1, maxLength: 255 }),
  },
  strict({ description: 'The action to bind: by its id, its name, or an existing binding id.' }),
);
const PatchBindingsBody = Type.Object(
  {
    bindings: Type.Array(
      Type.Object(
        {
          ref: Ref,
          display_name: Type.Optional(
            Type.String({ maxLength: 255, description: "Accepted; a binding shows its action's name." }),
          ),
        },
        strict({
          description: 'A binding (binding-level secrets are not supported: give the action its secrets).',
        }),
      ),
      { maxItems: 100, description: 'The actions to bind, in running order; every other action is unbound.' },
    ),
  },
  strict({ description: "The trigger's bindings, all of them." }),
);
type PatchBindingsBody = Static<typeof PatchBindingsBody>;

const BindingView = Type.Object(
  { id: Type.String(), trigger_id: Type.String(), display_name: Type.String(), action: Type.Unknown() },
  { additionalProperties: true, description: "A binding in Auth0's shape." },
);
const TRIGGER = {
  id: POST_LOGIN,
  version: 'v3',
  status: 'CURRENT',
  runtimes: ['node18'],
  default_runtime: 'node18',
  compatible_triggers: [],
  binding_policy: 'trigger-bound',
};
const tags = ['actions'];

/** 404 for any trigger but post-login. */
function onlyPostLogin(triggerId: string): void {
  if (triggerId !== POST_LOGIN) {
    throw managementErrors.notFound(
      `Trigger "${triggerId}" is not supported: Tessera runs actions at ${POST_LOGIN} only.`,
    );
  }
}

/**
 * Actions' triggers: the one Tessera has (post-login) and its bindings. A
 * binding is an action's `enabled` and `order` (tenant/objects/action-bindings.ts):
 * an action created through the API runs only once bound (update:triggers).
 */
export async function actionTriggersRoutes(app: FastifyInstance): Promise<void> {
  const { rt } = app.management;

  app.get(
    '/actions/triggers',
    {
      onRequest: requireScope('read:actions'),
      schema: {
        tags,
        summary: 'List the triggers (post-login only)',
        response: { 200: Type.Object({ triggers: Type.Array(Type.Unknown()) }), ...AUTH_ERRORS },
      },
    },
    async () => ({ triggers: [TRIGGER] }),
  );

  app.get<{ Params: TriggerParams; Querystring: ListQuery }>(
    '/actions/triggers/:triggerId/bindings',
    {
      onRequest: requireScope('read:triggers'),
      schema: {
        tags,
        summary: "List a trigger's bindings, in running order",
        params: TriggerParams,
        querystring: ListQuery,
        response: {
          200: Type.Object({
            bindings: Type.Array(BindingView),
            total: Type.Integer(),
            page: Type.Integer(),
            per_page: Type.Integer(),
          }),
          404: ErrorBody,
          ...AUTH_ERRORS,
        },
      },
    },
    async (request) => {
      onlyPostLogin(request.params.triggerId);
      const page = pageOf(request.query);
      const all = (await listBindings(rt.store)).map(bindingView);
      return {
        bindings: all.slice(page.offset, page.offset + page.limit),
        total: all.length,
        page: request.query.page ?? 0,
        per_page: page.limit,
      };
    },
  );

  app.patch<{ Params: TriggerParams; Body: PatchBindingsBody }>(
    '/actions/triggers/:triggerId/bindings',
    {
      onRequest: requireScope('update:triggers'),
      schema: {
        tags,
        summary: "Replace a trigger's bindings (the actions that run, in order)",
        params: TriggerParams,
        body: PatchBindingsBody,
        response: { 200: Type.Object({ bindings: Type.Array(BindingView) }), 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request) => {
      onlyPostLogin(request.params.triggerId);
      const refs = request.body.bindings.map((b) => b.ref);
      const bound = await audited(
        request,
        {
          description: 'Update trigger bindings',
          details: { trigger_id: POST_LOGIN, bindings: refs.map((r) => `${r.type}:${r.value}`) },
        },
        () => setBindings(rt.store, refs, rt.now()),
      );
      return { bindings: bound.map(bindingView) };
    },
  );
}
