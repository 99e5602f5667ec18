import { randomBytes } from 'node:crypto';
import { managementErrors } from '../../errors/index.js';
import type { Client } from '../../schemas/client.js';
import type { Store } from '../../store/db.js';
import { deleteClient, findClient, listClients } from '../../store/repos/clients.js';
import { listConnections, upsertConnection } from '../../store/repos/connections.js';
import { getSetting, putSetting } from '../../store/repos/settings.js';
import { mergePatch, notFound, newSecret, writeObjects } from './write.js';

/** A client without its secret (the secret is stored hashed and never read back). */
export type ClientObject = Omit<Client, 'client_secret'>;

/** What a create or a secret rotation answers: the client and, once, its new secret. */
export interface ClientWithSecret {
  client: ClientObject;
  secret?: string;
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function newClientId(): string {
  let id = '';
  for (const b of randomBytes(64)) if (b < 248 && id.length < 32) id += BASE62[b % 62];
  return id;
}

/** Every client, in client_id order. */
export async function listClientObjects(store: Store): Promise<ClientObject[]> {
  return (await listClients(store.db)).map((c) => c.client as ClientObject);
}

/** One client; 404 `inexistent_client` when absent. */
export async function getClientObject(store: Store, clientId: string): Promise<ClientObject> {
  const found = await findClient(store.db, clientId);
  if (!found) throw notFound('client');
  return found.client as ClientObject;
}

/**
 * Creates a client through apply (see writeObjects): `client_id` is drawn
 * when absent, and a confidential client (any method but `none`) gets a
 * drawn secret when it brings none; the secret is answered once.
 */
export async function createClientObject(
  store: Store,
  input: Omit<Client, 'client_id'> & { client_id?: string },
  now: number,
): Promise<ClientWithSecret> {
  const client_id = input.client_id ?? newClientId();
  if (await findClient(store.db, client_id))
    throw managementErrors.conflict(`A client with client_id "${client_id}" already exists.`);
  const secret =
    input.token_endpoint_auth_method === 'none' ? undefined : (input.client_secret ?? newSecret());
  const doc: Client = { ...input, client_id, ...(secret === undefined ? {} : { client_secret: secret }) };
  await writeObjects(store, { clients: [doc] }, 'clients[0]', { now });
  return { client: await getClientObject(store, client_id), ...(secret ? { secret } : {}) };
}

/**
 * Changes a client (the given fields replace the stored ones; `null` removes
 * an optional field). The stored secret hash stays unless `client_secret` is
 * given; a client becoming confidential without one gets a drawn secret.
 */
export async function updateClientObject(
  store: Store,
  clientId: string,
  patch: Partial<Record<keyof Client, unknown>>,
  now: number,
): Promise<ClientWithSecret> {
  const found = await findClient(store.db, clientId);
  if (!found) throw notFound('client');
  const merged: Record<string, unknown> = mergePatch({ ...found.client }, patch);
  merged.client_id = clientId;
  const doc = merged as Client;
  let secret: string | undefined;
  const keep: string[] = [];
  if (doc.token_endpoint_auth_method !== 'none' && doc.client_secret === undefined) {
    if (found.secretHash) keep.push(clientId);
    else doc.client_secret = secret = newSecret();
  }
  await writeObjects(store, { clients: [doc] }, 'clients[0]', { now, keepClientSecrets: keep });
  return { client: await getClientObject(store, clientId), ...(secret ? { secret } : {}) };
}

/** A new drawn secret for a confidential client, answered once; the old one stops working at once. */
export async function rotateClientObjectSecret(
  store: Store,
  clientId: string,
  now: number,
): Promise<ClientWithSecret> {
  const found = await findClient(store.db, clientId);
  if (!found) throw notFound('client');
  if (found.client.token_endpoint_auth_method === 'none')
    throw managementErrors.invalidBody('A public client (token_endpoint_auth_method "none") has no secret.');
  const secret = newSecret();
  await writeObjects(
    store,
    { clients: [{ ...(found.client as Client), client_secret: secret }] },
    'clients[0]',
    {
      now,
    },
  );
  return { client: await getClientObject(store, clientId), secret };
}

/**
 * Deletes a client, its client grants and its place in connections'
 * `enabled_clients` (so that an export still applies); 404 when absent.
 */
export async function deleteClientObject(store: Store, clientId: string, now: number): Promise<void> {
  if (!(await findClient(store.db, clientId))) throw notFound('client');
  await store.db.transaction().execute(async (trx) => {
    await deleteClient(trx, clientId);
    for (const c of await listConnections(trx)) {
      if (!c.enabled_clients.includes(clientId)) continue;
      await upsertConnection(
        trx,
        { ...c, enabled_clients: c.enabled_clients.filter((id) => id !== clientId) },
        now,
      );
    }
    const grants = (await getSetting<{ client_id: string }[]>(trx, 'clientGrants')) ?? [];
    const kept = grants.filter((g) => g.client_id !== clientId);
    if (kept.length !== grants.length) await putSetting(trx, 'clientGrants', kept);
  });
}
