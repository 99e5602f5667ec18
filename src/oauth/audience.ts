import type { Runtime } from '../runtime.js';
import { type ResourceServer, findResourceServer } from '../store/repos/resource-servers.js';
import { getTenantSettings } from '../store/repos/settings.js';
import { errors } from '../errors/index.js';
import { DEFAULTS } from '../config/defaults.js';
import { MANAGEMENT_SCOPES, managementAudience } from '../schemas/management.js';

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
  const api = await findApi(rt, identifier);
  if (!api) throw errors.accessDenied(`Service not found: ${identifier}`);
  return api;
}

/** An API by identifier: a configured one, or a built-in one (the MFA API, the Management API). */
export function findApi(rt: Runtime, identifier: string): Promise<ResourceServer | undefined> {
  if (identifier === `${rt.config.issuer}mfa/`) return Promise.resolve(mfaApi(identifier));
  if (identifier === managementAudience(rt.config.issuer)) return Promise.resolve(managementApi(identifier));
  return findResourceServer(rt.store.db, identifier);
}

/**
 * The API as a user's login may use it: the Management API's scopes are a
 * machine's, granted only through client grants (client_credentials), so a
 * password alone never buys one of them, whatever the request's `scope`.
 */
export function forUserLogin(api: ResourceServer | undefined): ResourceServer | undefined {
  return api && api.id === MANAGEMENT_API_ID ? { ...api, scopes: [] } : api;
}

/**
 * The built-in MFA API (`<issuer>mfa/`): tokens for it let a user manage
 * their own authenticators through /mfa/*. They live 10 minutes.
 */
function mfaApi(identifier: string): ResourceServer {
  return {
    id: 'rs_mfa',
    name: 'MFA API',
    identifier,
    scopes: [{ value: 'enroll' }, { value: 'read:authenticators' }, { value: 'remove:authenticators' }],
    token_lifetime: DEFAULTS.tokens.mfaApiLifetimeS,
    allow_offline_access: false,
  };
}

/**
 * The built-in Management API (`<issuer>api/v2/`, spec section 11): tokens
 * for it come from client_credentials with a client grant, and carry Auth0's
 * management scopes. They live 24 hours, as Auth0's do.
 */
const MANAGEMENT_API_ID = 'rs_management';

function managementApi(identifier: string): ResourceServer {
  return {
    id: MANAGEMENT_API_ID,
    name: 'Management API',
    identifier,
    scopes: MANAGEMENT_SCOPES.map((value) => ({ value })),
    token_lifetime: DEFAULTS.tokens.managementApiLifetimeS,
    allow_offline_access: false,
  };
}
