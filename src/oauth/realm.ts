import type { Runtime } from '../runtime.js';
import type { Client } from '../store/repos/clients.js';
import { type Connection, findConnectionByName, listConnections } from '../store/repos/connections.js';
import { getTenantSettings } from '../store/repos/settings.js';
import { errors } from '../errors/index.js';

/** True when the connection serves this client. */
export function isEnabledFor(conn: Connection, client: Client): boolean {
  return conn.enabled_clients.includes(client.client_id);
}

/**
 * Finds the connection a realm names: its name, or one of its `realms`
 * aliases. An unknown realm and one not enabled for the client get one and
 * the same answer, so a caller cannot probe which directories exist.
 */
export async function connectionForRealm(rt: Runtime, client: Client, realm: string): Promise<Connection> {
  let conn = await findConnectionByName(rt.store.db, realm);
  if (!conn) conn = (await listConnections(rt.store.db)).find((c) => c.realms?.includes(realm));
  if (!conn || !isEnabledFor(conn, client) || conn.strategy !== 'auth0') {
    throw errors.invalidRequest('Unknown realm or realm not enabled for this client');
  }
  return conn;
}

/** The tenant's `default_directory`, for the plain password grant without `realm`. */
export async function defaultConnection(rt: Runtime, client: Client): Promise<Connection> {
  const { default_directory } = await getTenantSettings(rt.store.db);
  const conn = default_directory ? await findConnectionByName(rt.store.db, default_directory) : undefined;
  if (!conn) throw errors.noDefaultConnection();
  if (!isEnabledFor(conn, client)) {
    throw errors.defaultConnectionDisabled();
  }
  return conn;
}
