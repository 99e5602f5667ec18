import { outsideRequest } from './deadline.js';
import { DEFAULTS } from '../config/defaults.js';

/**
 * A short-lived read-through cache for tenant configuration (clients,
 * connections, APIs, settings), which every token request reads and which
 * changes rarely. Any configuration write in this process clears it at once;
 * a write by another process (a `tessera apply`, another node) is seen within
 * CONFIG_CACHE_TTL_MS.
 */
export const CONFIG_CACHE_TTL_MS = DEFAULTS.caches.configTtlMs;

let generation = 0;
const caches = new WeakMap<
  object,
  Map<string, { at: number; generation: number; value: Promise<unknown> }>
>();

/** Forgets every cached configuration read (called by every configuration write). */
export function invalidateConfig(): void {
  generation++;
}

/** The cached value for `key` on this database, loading it when absent or stale. */
export function cachedConfig<T>(db: object, key: string, load: () => Promise<T>): Promise<T> {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && hit.generation === generation && now - hit.at < CONFIG_CACHE_TTL_MS)
    return hit.value as Promise<T>;
  const value = outsideRequest(load);
  const entry = { at: now, generation, value };
  cache.set(key, entry);
  value.catch(() => {
    if (cache.get(key) === entry) cache.delete(key);
  });
  return value;
}
