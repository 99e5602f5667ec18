import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.js';
import { managementAudience } from '../schemas/management.js';
import { DEFAULT_RATE_LIMIT, type RateLimitOptions } from './context.js';
import { installOpenApi } from './openapi.js';
import { usersRoutes } from './routes/users.js';
import { usersSearchRoutes } from './routes/users-search.js';
import { rolesRoutes } from './routes/roles.js';
import { userRolesRoutes } from './routes/user-roles.js';
import { mfaRoutes } from './routes/mfa.js';
import { userBlocksRoutes } from './routes/user-blocks.js';
import { anomalyRoutes } from './routes/anomaly.js';
import { logsRoutes } from './routes/logs.js';
import { ticketsRoutes } from './routes/tickets.js';
import { jobsRoutes } from './routes/jobs.js';
import { actionTriggersRoutes } from './routes/action-triggers.js';
import { actionsRoutes } from './routes/actions.js';
import { attackProtectionRoutes } from './routes/attack-protection.js';
import { clientGrantsRoutes } from './routes/client-grants.js';
import { clientsRoutes } from './routes/clients.js';
import { connectionsRoutes } from './routes/connections.js';
import { emailTemplatesRoutes } from './routes/email-templates.js';
import { resourceServersRoutes } from './routes/resource-servers.js';
import { rulesConfigsRoutes } from './routes/rules-configs.js';
import { rulesRoutes } from './routes/rules.js';
import { signingKeysRoutes } from './routes/signing-keys.js';
import { tenantSettingsRoutes } from './routes/tenant-settings.js';
import { installValidation } from './validation.js';
import { installManagementWire } from './wire.js';

export interface ManagementOptions {
  rt: Runtime;
  /** Where the API is mounted: `<issuer's path>api/v2` (see `managementPrefix`). */
  prefix: string;
  /** The per-client rate limit (default: Auth0's, 50 at once, 15 a second). */
  rateLimit?: RateLimitOptions;
}

/** The path the Management API is mounted at: the issuer's path + `api/v2`, e.g. `/api/v2`. */
export function managementPrefix(issuer: string): string {
  return `${new URL(issuer).pathname}api/v2`;
}

/** True for a request URL under the Management API's prefix (router errors answer in its shape too). */
export function isManagementPath(url: string, issuer: string): boolean {
  const prefix = managementPrefix(issuer);
  return url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`);
}

/**
 * The Management API v2 (`<issuer>api/v2/`, spec section 11), an
 * encapsulated Fastify plugin: its own error shape, validation, OpenAPI
 * document, and one plugin per resource group in `routes/`.
 */
export async function managementApi(app: FastifyInstance, opts: ManagementOptions): Promise<void> {
  app.decorate('management', {
    rt: opts.rt,
    audience: managementAudience(opts.rt.config.issuer),
    rateLimit: opts.rateLimit ?? DEFAULT_RATE_LIMIT,
  });
  installManagementWire(app);
  installValidation(app);
  await installOpenApi(app, opts.rt.config.issuer);
  // One line per resource group: each is a Fastify plugin in routes/.
  await app.register(usersRoutes);
  await app.register(usersSearchRoutes);
  await app.register(rolesRoutes);
  await app.register(userRolesRoutes);
  await app.register(mfaRoutes);
  await app.register(userBlocksRoutes);
  await app.register(anomalyRoutes);
  await app.register(logsRoutes);
  await app.register(ticketsRoutes);
  await app.register(jobsRoutes);
  await app.register(clientsRoutes);
  await app.register(connectionsRoutes);
  await app.register(resourceServersRoutes);
  await app.register(clientGrantsRoutes);
  await app.register(rulesRoutes);
  await app.register(actionsRoutes);
  await app.register(actionTriggersRoutes);
  await app.register(rulesConfigsRoutes);
  await app.register(tenantSettingsRoutes);
  await app.register(attackProtectionRoutes);
  await app.register(emailTemplatesRoutes);
  await app.register(signingKeysRoutes);
}
