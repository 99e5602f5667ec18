import type { Kysely } from 'kysely';
import { cachedConfig, invalidateConfig } from '../config-cache.js';
import type { Database } from '../schema.js';
import { hasPlainSecrets, openSetting, SEALED_SETTINGS, sealSetting } from '../sealed-settings.js';
import type { SecretBox } from '../secret-box.js';

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
    const stored = await readStored(db, key);
    if (stored === undefined) return undefined;
    return deepFreeze((SEALED.has(key) ? openSetting(boxOf(db), key, stored) : stored) as DeepReadonly<T>);
  });
}

async function readStored(db: Kysely<Database>, key: string): Promise<unknown> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
  return row === undefined ? undefined : JSON.parse(row.value);
}

const SEALED = new Set<string>(SEALED_SETTINGS);
/** The box that seals a store's secret settings, by its Kysely adapter (shared by its transactions). */
const boxes = new WeakMap<object, SecretBox>();
const boxOf = (db: Kysely<Database>) => boxes.get(db.getExecutor().adapter);

/**
 * Seals the secret values of this store's settings (SEALED_SETTINGS) with
 * `box` from now on, and opens them on reading. A store without one writes
 * them plain (a test's bare store; a command run without TESSERA_SECRET).
 */
export function sealSettingsWith(db: Kysely<Database>, box: SecretBox): void {
  boxes.set(db.getExecutor().adapter, box);
}

/**
 * Seals the secret values still stored plain (written before sealing, or by
 * a store without a box), and checks that the sealed ones open: a wrong
 * TESSERA_SECRET fails here, at boot, naming the setting. Run by every node
 * at start; rewriting a setting that another node sealed meanwhile writes
 * the same values.
 */
export async function sealStoredSecrets(db: Kysely<Database>): Promise<string[]> {
  const box = boxOf(db);
  const sealed: string[] = [];
  for (const key of SEALED_SETTINGS) {
    const stored = await readStored(db, key);
    if (stored === undefined) continue;
    const plain = openSetting(box, key, stored);
    if (box && hasPlainSecrets(key, stored)) {
      await putSetting(db, key, plain);
      sealed.push(key);
    }
  }
  return sealed;
}

/** Writes one JSON setting (insert or replace); secret values sealed when the store has a box. */
export async function putSetting(db: Kysely<Database>, key: string, value: unknown): Promise<void> {
  invalidateConfig();
  const box = SEALED.has(key) ? boxOf(db) : undefined;
  const json = JSON.stringify(box ? sealSetting(box, key, value) : value);
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
