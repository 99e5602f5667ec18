import { managementErrors } from '../../errors/index.js';
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

function idOf<T>(section: ListSection<T>, item: T): string {
  const key = section.keyOf(item);
  return section.idPrefix ? derivedId(section.idPrefix, key) : key;
}

/** Every item of the section, with ids, in the section's order. */
export async function listItems<T>(store: Store, section: ListSection<T>): Promise<WithId<T>[]> {
  const list = await sectionList<T>(store, section.key);
  return list.map((item, index) => ({ id: idOf(section, item), item, index }));
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
    return putItemNow(store, section, change(found.item), now, { replace: found.index });
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
  opts: { replace?: number; upsert?: boolean },
): Promise<WithId<T>> {
  const list = await sectionList<T>(store, section.key);
  const key = section.keyOf(item);
  let index = opts.replace ?? -1;
  const same = list.findIndex((x) => section.keyOf(x) === key);
  if (same >= 0 && same !== index) {
    if (!opts.upsert || index >= 0) throw managementErrors.conflict(`The ${section.what} already exists.`);
    index = same;
  }
  const next = [...list];
  if (index >= 0) next[index] = item;
  else index = next.push(item) - 1;
  await writeObjects(store, { [section.key]: next } as TenantDoc, `${section.key}[${index}]`, { now });
  return { id: idOf(section, item), item, index };
}

/** Removes the item with that id (404 when absent), through apply. */
export async function removeItem<T>(
  store: Store,
  section: ListSection<T>,
  id: string,
  now: number,
): Promise<void> {
  const found = await getItem(store, section, id);
  const next = (await sectionList<T>(store, section.key)).filter((_, i) => i !== found.index);
  await writeObjects(store, { [section.key]: next } as TenantDoc, section.key, { now });
}
