import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { TenantSettings } from '../../schemas/tenant-settings.js';
import { getTenantObject, updateTenantObject } from '../../tenant/objects/settings.js';
import { audited } from '../audit.js';
import { requireScope } from '../auth.js';
import { AUTH_ERRORS } from '../schemas.js';

const SettingsView = Type.Object({}, { additionalProperties: true, description: 'The tenant settings.' });
const tags = ['tenants'];

/** Tenant settings: the tenant file's `tenant` section (default_directory, default_audience…). */
export async function tenantSettingsRoutes(app: FastifyInstance): Promise<void> {
  const { rt } = app.management;

  app.get(
    '/tenants/settings',
    {
      onRequest: requireScope('read:tenant_settings'),
      schema: { tags, summary: 'Get the tenant settings', response: { 200: SettingsView, ...AUTH_ERRORS } },
    },
    async () => getTenantObject(rt.store),
  );

  app.patch<{ Body: TenantSettings }>(
    '/tenants/settings',
    {
      onRequest: requireScope('update:tenant_settings'),
      schema: {
        tags,
        summary: 'Update the tenant settings (references checked as apply checks them)',
        body: TenantSettings,
        response: { 200: SettingsView, ...AUTH_ERRORS },
      },
    },
    async (request) =>
      audited(
        request,
        { description: 'Update tenant settings', details: { fields: Object.keys(request.body) } },
        () => updateTenantObject(rt.store, request.body, rt.now()),
      ),
  );
}
