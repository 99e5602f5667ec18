import type { Runtime } from '../runtime.js';
import { type ResourceServer, findResourceServer } from '../store/repos/resource-servers.js';
import { getTenantSettings } from '../store/repos/settings.js';
import { errors } from './errors.js';

/**
 * The API a token is asked for: `audience`, else the tenant's
 * `default_audience`; undefined when neither is set (the access token is then
 * good for /userinfo only). An unknown API answers 403 `access_denied`
 * `Service not found: …`, as Auth0 does.
 */
export async function resolveAudience(
  rt: Runtime,
  audience: string | undefined,
): Promise<ResourceServer | undefined> {
  const identifier = audience ?? (await getTenantSettings(rt.store.db)).default_audience;
  if (!identifier) return undefined;
  const api = await findResourceServer(rt.store.db, identifier);
  if (!api) throw errors.accessDenied(`Service not found: ${identifier}`);
  return api;
}
