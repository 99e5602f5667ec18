import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { strict } from '../../schemas/common.js';
import { RulesConfig } from '../../schemas/rule.js';
import { RULES_CONFIGS } from '../../tenant/objects/rules.js';
import { listItems, putItem, removeItem } from '../../tenant/objects/sections.js';
import { audited } from '../audit.js';
import { requireScope } from '../auth.js';
import { AUTH_ERRORS, ErrorBody } from '../schemas.js';

const KeyParams = Type.Object({ key: RulesConfig.properties.key }, { additionalProperties: false });
type KeyParams = Static<typeof KeyParams>;
const ValueBody = Type.Object(
  { value: RulesConfig.properties.value },
  strict({ description: 'The value rules read as configuration.KEY.' }),
);
type ValueBody = Static<typeof ValueBody>;
const tags = ['rules-configs'];

/** Rules configs: the tenant file's `rulesConfigs`; values are written, never read back. */
export async function rulesConfigsRoutes(app: FastifyInstance): Promise<void> {
  const { rt } = app.management;

  app.get(
    '/rules-configs',
    {
      onRequest: requireScope('read:rules_configs'),
      schema: {
        tags,
        summary: 'List the rules config keys (not their values)',
        response: { 200: Type.Array(Type.Object({ key: Type.String() })), ...AUTH_ERRORS },
      },
    },
    async () => (await listItems(rt.store, RULES_CONFIGS)).map((c) => ({ key: c.item.key })),
  );

  app.put<{ Params: KeyParams; Body: ValueBody }>(
    '/rules-configs/:key',
    {
      onRequest: requireScope('update:rules_configs'),
      schema: {
        tags,
        summary: 'Set a rules config',
        params: KeyParams,
        body: ValueBody,
        response: { 200: Type.Object({ key: Type.String(), value: Type.String() }), ...AUTH_ERRORS },
      },
    },
    async (request) => {
      const { key } = request.params;
      await audited(request, { description: 'Set a Rules Config', details: { key } }, () =>
        putItem(rt.store, RULES_CONFIGS, { key, value: request.body.value }, rt.now(), { upsert: true }),
      );
      return { key, value: request.body.value };
    },
  );

  app.delete<{ Params: KeyParams }>(
    '/rules-configs/:key',
    {
      onRequest: requireScope('delete:rules_configs'),
      schema: {
        tags,
        summary: 'Delete a rules config',
        params: KeyParams,
        response: { 204: Type.Null(), 404: ErrorBody, ...AUTH_ERRORS },
      },
    },
    async (request, reply) => {
      const { key } = request.params;
      await audited(request, { description: 'Delete a Rules Config', details: { key } }, () =>
        removeItem(rt.store, RULES_CONFIGS, key, rt.now()),
      );
      return reply.code(204).send();
    },
  );
}
