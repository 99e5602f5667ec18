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

/** `T` read-only all the way down (what getSetting answers). */
export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** `value` and everything in it frozen. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Reads one JSON setting; undefined when never written. Parsed once per
 * configuration read (cached, store/config-cache.ts) and shared by every
 * caller: the value is deep-frozen, and a caller that needs to change it
 * changes a copy (`structuredClone`, or a spread of the level it changes).
 */
export async function getSetting<T>(db: Kysely<Database>, key: string): Promise<DeepReadonly<T> | undefined> {
  return cachedConfig(db, `setting:${key}`, async () => {
    const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
    return row === undefined ? undefined : deepFreeze(JSON.parse(row.value) as DeepReadonly<T>);
  });
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

const NO_TENANT_SETTINGS: DeepReadonly<TenantSettings> = Object.freeze({});

/** The tenant settings (frozen, as getSetting's; empty when never written). */
export async function getTenantSettings(db: Kysely<Database>): Promise<DeepReadonly<TenantSettings>> {
  return (await getSetting<TenantSettings>(db, 'tenant')) ?? NO_TENANT_SETTINGS;
}
