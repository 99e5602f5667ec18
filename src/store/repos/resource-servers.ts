import type { Kysely } from 'kysely';
import { cachedConfig, invalidateConfig } from '../config-cache.js';
import type { Database } from '../schema.js';

/** An API that access tokens are issued for, with Management API v2 names. */
export interface ResourceServer {
  id: string;
  name?: string;
  identifier: string;
  scopes: { value: string; description?: string }[];
  signing_alg?: string;
  token_lifetime?: number;
  allow_offline_access?: boolean;
  enforce_policies?: boolean;
  [extra: string]: unknown;
}

function fromRow(row: { id: string; config: string }): ResourceServer {
  return { ...JSON.parse(row.config), id: row.id } as ResourceServer;
}

export function findResourceServer(
  db: Kysely<Database>,
  identifier: string,
): Promise<ResourceServer | undefined> {
  return cachedConfig(db, `api:${identifier}`, async () => {
    const row = await db
      .selectFrom('resource_servers')
      .selectAll()
      .where('identifier', '=', identifier)
      .executeTakeFirst();
    return row ? fromRow(row) : undefined;
  });
}

export async function listResourceServers(db: Kysely<Database>): Promise<ResourceServer[]> {
  const rows = await db.selectFrom('resource_servers').selectAll().orderBy('identifier').execute();
  return rows.map(fromRow);
}

/** Creates or replaces an API, keyed by its id. */
export async function upsertResourceServer(
  db: Kysely<Database>,
  rs: ResourceServer,
  now: number,
): Promise<void> {
  invalidateConfig();
  const { id, ...rest } = rs;
  const config = JSON.stringify(rest);
  await db
    .insertInto('resource_servers')
    .values({ id, identifier: rs.identifier, config, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('id').doUpdateSet({ identifier: rs.identifier, config, updated_at: now }))
    .execute();
}

export async function deleteResourceServer(db: Kysely<Database>, id: string): Promise<void> {
  invalidateConfig();
  await db.deleteFrom('resource_servers').where('id', '=', id).execute();
}
