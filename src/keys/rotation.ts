import type { Store } from '../store/db.js';
import { listClients } from '../store/repos/clients.js';
import { listResourceServers } from '../store/repos/resource-servers.js';
import { DEFAULTS } from '../config/defaults.js';

/** Default delay between publishing a new key and signing with it: twice the JWKS cache time (300 s). */
export const DEFAULT_ROTATION_DELAY_S = DEFAULTS.keys.rotationDelayS;

/**
 * The longest lifetime any token signed now can have: a retired key must
 * stay published at least this long after its last signature.
 */
export async function longestTokenLifetimeMs(store: Store): Promise<number> {
  const apis = await listResourceServers(store.db);
  const clients = await listClients(store.db);
  const { accessTokenLifetimeS, idTokenLifetimeS } = DEFAULTS.tokens;
  const lifetimes = [
    accessTokenLifetimeS,
    idTokenLifetimeS,
    ...apis.map((a) => a.token_lifetime ?? accessTokenLifetimeS),
    ...clients.map((c) => c.client.jwt_configuration?.lifetime_in_seconds ?? idTokenLifetimeS),
  ];
  return Math.max(...lifetimes) * 1000;
}
