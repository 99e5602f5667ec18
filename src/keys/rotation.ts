import type { Store } from '../store/db.js';
import { listClients } from '../store/repos/clients.js';
import { listResourceServers } from '../store/repos/resource-servers.js';
import { DEFAULT_ACCESS_TOKEN_LIFETIME, DEFAULT_ID_TOKEN_LIFETIME } from '../oauth/tokens.js';

/** Default delay between publishing a new key and signing with it: twice the JWKS cache time (300 s). */
export const DEFAULT_ROTATION_DELAY_S = 600;

/**
 * The longest lifetime any token signed now can have: a retired key must
 * stay published at least this long after its last signature.
 */
export async function longestTokenLifetimeMs(store: Store): Promise<number> {
  const apis = await listResourceServers(store.db);
  const clients = await listClients(store.db);
  const lifetimes = [
    DEFAULT_ACCESS_TOKEN_LIFETIME,
    DEFAULT_ID_TOKEN_LIFETIME,
    ...apis.map((a) => a.token_lifetime ?? DEFAULT_ACCESS_TOKEN_LIFETIME),
    ...clients.map((c) => c.client.jwt_configuration?.lifetime_in_seconds ?? DEFAULT_ID_TOKEN_LIFETIME),
  ];
  return Math.max(...lifetimes) * 1000;
}
