import type { Kysely } from 'kysely';
import { cachedConfig, invalidateConfig } from '../config-cache.js';
import type { Database } from '../schema.js';

/** A user directory (Auth0 connection); `strategy: auth0` keeps users in Tessera. */
export interface Connection {
  id: string;
  name: string;
  strategy: string;
  realms?: string[];
  enabled_clients: string[];
  options?: Record<string, unknown>;
  [extra: string]: unknown;
}

function fromRow(row: { id: string; config: string }): Connection {
  return { ...JSON.parse(row.config), id: row.id } as Connection;
}

export function findConnectionByName(db: Kysely<Database>, name: string): Promise<Connection | undefined> {
  return cachedConfig(db, `connection:${name}`, async () => {
    const row = await db.selectFrom('connections').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  });
}

export function findConnectionById(db: Kysely<Database>, id: string): Promise<Connection | undefined> {
  return cachedConfig(db, `connection-id:${id}`, async () => {
    const row = await db.selectFrom('connections').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  });
}

export function listConnections(db: Kysely<Database>): Promise<Connection[]> {
  return cachedConfig(db, 'connections', async () => {
    const rows = await db.selectFrom('connections').selectAll().orderBy('name').execute();
    return rows.map(fromRow);
  });
}

/** Creates or replaces a connection, keyed by its id. */
export async function upsertConnection(db: Kysely<Database>, conn: Connection, now: number): Promise<void> {
  invalidateConfig();
  const { id, ...rest } = conn;
  const config = JSON.stringify(rest);
  await db
    .insertInto('connections')
    .values({ id, name: conn.name, strategy: conn.strategy, config, created_at: now, updated_at: now })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({ name: conn.name, strategy: conn.strategy, config, updated_at: now }),
    )
    .execute();
}

export async function deleteConnection(db: Kysely<Database>, id: string): Promise<void> {
  invalidateConfig();
  await db.deleteFrom('connections').where('id', '=', id).execute();
}
