import { randomBytes } from 'node:crypto';
import { managementErrors } from '../../errors/index.js';
import { getSetting } from '../../store/repos/settings.js';
import type { Store } from '../../store/db.js';
import type { TenantDoc } from '../schema.js';
import { derivedId, notFound, sectionList, writeObjects } from './write.js';

/** A tenant file section apply stores whole as one setting list (rules, actions, rulesConfigs, clientGrants). */
export interface ListSection<T> {
  key: 'rules' | 'actions' | 'rulesConfigs' | 'clientGrants';
  /** What makes an item unique in the section (its name, key, client and audience). */
  keyOf(item: T): string;
  /** The prefix of the ids the Management API gives its items (`rul_`); none: the key is the id. */
  idPrefix?: string;
  /** For messages: `rule`, `client grant`. */
  what: string;
}

/** An item of a list section with its Management API id. */
export interface WithId<T> {
  id: string;
  item: T;
  index: number;
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs the read-modify-write of a whole section one at a time in this
 * process, so that two API calls changing the same list do not lose one
 * another's change. (Two nodes writing the same section at the same
 * instant can still: the last write wins, as with two `tessera apply`.)
 */
function serially<R>(fn: () => Promise<R>): Promise<R> {
  const run = queue.then(fn, fn);
  queue = run.catch(() => undefined);
  return run;
}

/**
 * The setting that keeps the ids the Management API gave items whose key
 * changed (a rule or an action renamed through PATCH keeps its id, as in
 * Auth0): `{ <section>: { <key>: <id> } }`. Every other item's id is
 * derived from its key, so a tenant file needs no ids. It is not a tenant
 * file section: `tessera export` leaves it out and apply does not read it.
 */
export const OBJECT_IDS_SETTING = 'objectIds';

type IdMap = Record<string, string>;

async function idMapOf(store: Store, section: ListSection<unknown>): Promise<IdMap> {
  const all = await getSetting<Record<string, IdMap>>(store.db, OBJECT_IDS_SETTING);
  return { ...(all?.[section.key] ?? {}) };
}

/**
 * The section's items with their ids: the kept one (OBJECT_IDS_SETTING),
 * else the one derived from the key. A derived id that a renamed item
 * kept belongs to that one; the newer item with the old key gets another.
 */
function withIds<T>(section: ListSection<T>, list: T[], kept: IdMap): WithId<T>[] {
  const prefix = section.idPrefix;
  const keys = list.map((item) => section.keyOf(item));
  if (!prefix) return list.map((item, index) => ({ id: keys[index]!, item, index }));
  const held = new Set(keys.flatMap((k) => (Object.hasOwn(kept, k) ? [kept[k]!] : [])));
  return list.map((item, index) => {
    const key = keys[index]!;
    let id = Object.hasOwn(kept, key) ? kept[key]! : derivedId(prefix, key);
    if (!Object.hasOwn(kept, key) && held.has(id)) id = derivedId(prefix, `${key}\nafter a rename`);
    return { id, item, index };
  });
}

/** Every item of the section, with ids, in the section's order. */
export async function listItems<T>(store: Store, section: ListSection<T>): Promise<WithId<T>[]> {
  const list = await sectionList<T>(store, section.key);
  return withIds(section, list, await idMapOf(store, section as ListSection<unknown>));
}

/** The item with that id; 404 `inexistent_<what>`. */
export async function getItem<T>(store: Store, section: ListSection<T>, id: string): Promise<WithId<T>> {
  const found = (await listItems(store, section)).find((x) => x.id === id);
  if (!found) throw notFound(section.what);
  return found;
}

/** Changes the item with that id (404 when absent) to `change(old)`, through apply, one change at a time. */
export function updateItem<T>(
  store: Store,
  section: ListSection<T>,
  id: string,
  change: (old: T) => T,
  now: number,
): Promise<WithId<T>> {
  return serially(async () => {
    const found = await getItem(store, section, id);
    return putItemNow(store, section, change(found.item), now, { replace: found.index, id: found.id });
  });
}

/**
 * Writes `item` into the section through apply (writeObjects): in place of
 * the item at `replace` (its index), else appended, else (`upsert`) in place
 * of the item with the same key. Another item with its key is a 409.
 */
export async function putItem<T>(
  store: Store,
  section: ListSection<T>,
  item: T,
  now: number,
  opts: { replace?: number; upsert?: boolean } = {},
): Promise<WithId<T>> {
  return serially(() => putItemNow(store, section, item, now, opts));
}

async function putItemNow<T>(
  store: Store,
  section: ListSection<T>,
  item: T,
  now: number,
  opts: { replace?: number; upsert?: boolean; id?: string },
): Promise<WithId<T>> {
  const list = await sectionList<T>(store, section.key);
  const key = section.keyOf(item);
  let index = opts.replace ?? -1;
  const same = list.findIndex((x) => section.keyOf(x) === key);
  if (same >= 0 && same !== index) {
    if (!opts.upsert || index >= 0) throw managementErrors.conflict(`The ${section.what} already exists.`);
    index = same;
  }
  const kept = await idMapOf(store, section as ListSection<unknown>);
  const before = withIds(section, list, kept);
  const next = [...list];
  const replaced = index >= 0 ? before[index] : undefined;
  if (index >= 0) next[index] = item;
  else index = next.push(item) - 1;
  const ids = idsAfter(section, before, next, index, kept, replaced?.id);
  await writeObjects(store, { [section.key]: next } as TenantDoc, `${section.key}[${index}]`, {
    now,
    settings: await idSetting(store, section, kept, ids),
  });
  return withIds(section, next, ids)[index]!;
}

/**
 * The section's id map once item `index` of `next` is written: the item
 * keeps the id it had (`id`) when its key changed; a new item whose derived
 * id another item holds gets a random one; keys no longer in the section
 * are forgotten.
 */
function idsAfter<T>(
  section: ListSection<T>,
  before: WithId<T>[],
  next: T[],
  index: number,
  kept: IdMap,
  id: string | undefined,
): IdMap {
  const prefix = section.idPrefix;
  if (!prefix) return kept;
  const ids = idsKept(section, before, next, kept);
  const key = section.keyOf(next[index]!);
  if (id !== undefined) {
    if (id !== derivedId(prefix, key) || Object.hasOwn(kept, key)) ids[key] = id;
    return ids;
  }
  delete ids[key]; // a new item: nothing of an earlier one with its key
  const inUse = new Set(before.map((x) => x.id));
  if (inUse.has(derivedId(prefix, key))) ids[key] = prefix + randomBytes(12).toString('base64url');
  return ids;
}

/**
 * The kept ids of the items still in `next`, and of each item whose id is
 * not its key's derived one (withIds gave it another, its own being held
 * by a renamed item): kept from now on, so that it does not change when
 * the holder goes.
 */
function idsKept<T>(section: ListSection<T>, before: WithId<T>[], next: T[], kept: IdMap): IdMap {
  const prefix = section.idPrefix!;
  const keys = new Set(next.map((x) => section.keyOf(x)));
  const ids: IdMap = {};
  for (const [k, v] of Object.entries(kept)) if (keys.has(k)) ids[k] = v;
  for (const x of before) {
    const k = section.keyOf(x.item);
    if (keys.has(k) && !Object.hasOwn(ids, k) && x.id !== derivedId(prefix, k)) ids[k] = x.id;
  }
  return ids;
}

/** The settings to write with the section: the whole id map when the section's part changed. */
async function idSetting<T>(
  store: Store,
  section: ListSection<T>,
  kept: IdMap,
  ids: IdMap,
): Promise<Record<string, unknown> | undefined> {
  const same = (a: IdMap, b: IdMap) =>
    Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);
  if (same(kept, ids)) return undefined;
  const all = await getSetting<Record<string, IdMap>>(store.db, OBJECT_IDS_SETTING);
  return { [OBJECT_IDS_SETTING]: { ...all, [section.key]: ids } };
}

/**
 * Rewrites the items of the section, keys and places unchanged (the post-login
 * bindings change several actions at once), through apply, one change at a
 * time. `change` sees every item with its id and answers the new list.
 */
export function rewriteItems<T>(
  store: Store,
  section: ListSection<T>,
  change: (items: WithId<T>[]) => T[],
  now: number,
): Promise<WithId<T>[]> {
  return serially(async () => {
    const kept = await idMapOf(store, section as ListSection<unknown>);
    const before = withIds(section, await sectionList<T>(store, section.key), kept);
    const next = change(before);
    const same =
      next.length === before.length &&
      next.every((x, i) => section.keyOf(x) === section.keyOf(before[i]!.item));
    if (!same) throw new Error(`rewriteItems: the ${section.what} list must keep its keys and places`);
    await writeObjects(store, { [section.key]: next } as TenantDoc, section.key, { now });
    return withIds(section, next, kept);
  });
}

/**
 * Removes the item with that id (404 when absent), through apply, one change
 * at a time; `guard` may refuse (throw) on seeing the item.
 */
export function removeItem<T>(
  store: Store,
  section: ListSection<T>,
  id: string,
  now: number,
  guard?: (item: T) => void,
): Promise<void> {
  return serially(async () => {
    const list = await sectionList<T>(store, section.key);
    const kept = await idMapOf(store, section as ListSection<unknown>);
    const before = withIds(section, list, kept);
    const found = before.find((x) => x.id === id);
    if (!found) throw notFound(section.what);
    guard?.(found.item);
    const next = list.filter((_, i) => i !== found.index);
    const ids = section.idPrefix ? idsKept(section, before, next, kept) : kept;
    await writeObjects(store, { [section.key]: next } as TenantDoc, section.key, {
      now,
      settings: await idSetting(store, section, kept, ids),
    });
  });
}
