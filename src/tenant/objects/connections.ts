import { managementErrors } from '../../errors/index.js';
import type { Connection } from '../../schemas/connection.js';
import type { Store } from '../../store/db.js';
import {
  type Connection as StoredConnection,
  findConnectionById,
  findConnectionByName,
  listConnections,
} from '../../store/repos/connections.js';
import { removeConnection } from '../apply.js';
import { mergePatch, notFound, writeObjects } from './write.js';

/** A connection as the Management API shows it: the tenant file's fields and its `id`. */
export type ConnectionObject = StoredConnection;

/** Every connection, in name order. */
export function listConnectionObjects(store: Store): Promise<ConnectionObject[]> {
  return listConnections(store.db);
}

/** One connection by id; 404 `inexistent_connection`. */
export async function getConnectionObject(store: Store, id: string): Promise<ConnectionObject> {
  const found = await findConnectionById(store.db, id);
  if (!found) throw notFound('connection');
  return found;
}

/** Creates a connection through apply (409 when the name is taken). */
export async function createConnectionObject(
  store: Store,
  input: Connection,
  now: number,
): Promise<ConnectionObject> {
  if (await findConnectionByName(store.db, input.name))
    throw managementErrors.conflict(`A connection with name "${input.name}" already exists.`);
  await writeObjects(store, { connections: [input] }, 'connections[0]', { now });
  return (await findConnectionByName(store.db, input.name))!;
}

/** Changes a connection: given fields replace the stored ones, `null` removes one; the name stays. */
export async function updateConnectionObject(
  store: Store,
  id: string,
  patch: Record<string, unknown>,
  now: number,
): Promise<ConnectionObject> {
  const { id: _id, ...old } = await getConnectionObject(store, id);
  const merged: Record<string, unknown> = mergePatch({ ...old }, patch);
  await writeObjects(store, { connections: [merged as Connection] }, 'connections[0]', { now });
  return getConnectionObject(store, id);
}

/** Deletes a connection and its users, as `apply --prune` does. */
export async function deleteConnectionObject(store: Store, id: string): Promise<void> {
  const old = await getConnectionObject(store, id);
  await store.db
    .transaction()
    .execute((trx) => removeConnection(trx, old, { created: [], updated: [], deleted: [], unchanged: 0 }));
}
