import type { Kysely } from 'kysely';
import { cachedConfig, invalidateConfig } from '../config-cache.js';
import type { Database } from '../schema.js';

export type AuthMethod = 'none' | 'client_secret_post' | 'client_secret_basic';

/** An application, with the Management API v2 field names. */
export interface Client {
  client_id: string;
  name: string;
  app_type?: string;
  token_endpoint_auth_method: AuthMethod;
  is_first_party?: boolean;
  is_token_endpoint_ip_header_trusted?: boolean;
  grant_types: string[];
  jwt_configuration?: { alg?: string; lifetime_in_seconds?: number };
  refresh_token?: Record<string, unknown>;
  client_metadata?: Record<string, string>;
  [extra: string]: unknown;
}

export interface ClientRecord {
  client: Client;
  secretHash: string | null;
}

export function findClient(db: Kysely<Database>, clientId: string): Promise<ClientRecord | undefined> {
  return cachedConfig(db, `client:${clientId}`, async () => {
    const row = await db
      .selectFrom('clients')
      .selectAll()
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    if (!row) return undefined;
    return { client: JSON.parse(row.config) as Client, secretHash: row.secret_hash };
  });
}

export async function listClients(db: Kysely<Database>): Promise<ClientRecord[]> {
  const rows = await db.selectFrom('clients').selectAll().orderBy('client_id').execute();
  return rows.map((row) => ({ client: JSON.parse(row.config) as Client, secretHash: row.secret_hash }));
}

/**
 * Creates or replaces a client. `secretHash` undefined keeps the stored
 * hash; null removes it.
 */
export async function upsertClient(
  db: Kysely<Database>,
  client: Client,
  secretHash: string | null | undefined,
  now: number,
): Promise<void> {
  invalidateConfig();
  const config = JSON.stringify(client);
  const update: { config: string; updated_at: number; secret_hash?: string | null } = {
    config,
    updated_at: now,
  };
  if (secretHash !== undefined) update.secret_hash = secretHash;
  await db
    .insertInto('clients')
    .values({
      client_id: client.client_id,
      secret_hash: secretHash ?? null,
      config,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('client_id').doUpdateSet(update))
    .execute();
}

export async function deleteClient(db: Kysely<Database>, clientId: string): Promise<void> {
  invalidateConfig();
  await db.deleteFrom('clients').where('client_id', '=', clientId).execute();
}
