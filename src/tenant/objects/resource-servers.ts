import { managementErrors } from '../../errors/index.js';
import type { ResourceServer } from '../../schemas/resource-server.js';
import type { Store } from '../../store/db.js';
import {
  deleteResourceServer,
  listResourceServers,
  type ResourceServer as StoredResourceServer,
} from '../../store/repos/resource-servers.js';
import { mergePatch, notFound, writeObjects } from './write.js';

/** An API as the Management API shows it: the tenant file's fields and its `id`. */
export type ResourceServerObject = StoredResourceServer;

/** Every API. */
export function listResourceServerObjects(store: Store): Promise<ResourceServerObject[]> {
  return listResourceServers(store.db);
}

/** One API by id or identifier (as Auth0 takes either); 404 `inexistent_resource_server`. */
export async function getResourceServerObject(
  store: Store,
  idOrIdentifier: string,
): Promise<ResourceServerObject> {
  const found = (await listResourceServers(store.db)).find(
    (r) => r.id === idOrIdentifier || r.identifier === idOrIdentifier,
  );
  if (!found) throw notFound('resource server');
  return found;
}

/** Creates an API through apply (409 when the identifier is taken). */
export async function createResourceServerObject(
  store: Store,
  input: ResourceServer,
  now: number,
): Promise<ResourceServerObject> {
  const all = await listResourceServers(store.db);
  if (all.some((r) => r.identifier === input.identifier))
    throw managementErrors.conflict(
      `A resource server with identifier "${input.identifier}" already exists.`,
    );
  await writeObjects(store, { resourceServers: [input] }, 'resourceServers[0]', { now });
  return getResourceServerObject(store, input.identifier);
}

/** Changes an API: given fields replace the stored ones, `null` removes one; the identifier stays. */
export async function updateResourceServerObject(
  store: Store,
  id: string,
  patch: Record<string, unknown>,
  now: number,
): Promise<ResourceServerObject> {
  const { id: _id, ...old } = await getResourceServerObject(store, id);
  const merged: Record<string, unknown> = mergePatch({ ...old }, patch);
  await writeObjects(store, { resourceServers: [merged as ResourceServer] }, 'resourceServers[0]', { now });
  return getResourceServerObject(store, old.identifier);
}

/** Deletes an API. */
export async function deleteResourceServerObject(store: Store, id: string): Promise<void> {
  const old = await getResourceServerObject(store, id);
  await deleteResourceServer(store.db, old.id);
}
