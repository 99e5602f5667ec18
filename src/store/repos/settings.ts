import type { Kysely } from 'kysely';
import { cachedConfig, invalidateConfig } from '../config-cache.js';
import type { Database } from '../schema.js';

/** Tenant-wide settings (the tenant file's `tenant` section), Auth0's names. */
export interface TenantSettings {
  friendly_name?: string;
  issuer?: string;
  default_directory?: string;
  default_audience?: string;
  [extra: string]: unknown;
}

/** Reads one JSON setting; undefined when never written. */
export async function getSetting<T>(db: Kysely<Database>, key: string): Promise<T | undefined> {
  const json = await cachedConfig(db, `setting:${key}`, async () => {
    const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
    return row?.value;
  });
  // Parsed on every call: callers may change what they get.
  return json === undefined ? undefined : (JSON.parse(json) as T);
}

/** Writes one JSON setting (insert or replace). */
export async function putSetting(db: Kysely<Database>, key: string, value: unknown): Promise<void> {
  invalidateConfig();
  const json = JSON.stringify(value);
  await db
    .insertInto('settings')
    .values({ key, value: json })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: json }))
    .execute();
}

export async function getTenantSettings(db: Kysely<Database>): Promise<TenantSettings> {
  return (await getSetting<TenantSettings>(db, 'tenant')) ?? {};
}
