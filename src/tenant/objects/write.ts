import { createHash, randomBytes } from 'node:crypto';
import { managementErrors } from '../../errors/index.js';
import type { Store } from '../../store/db.js';
import { type DeepReadonly, getSetting } from '../../store/repos/settings.js';
import { type ApplyOptions, type ApplyReport, applyTenant } from '../apply.js';
import { type TenantDoc, TenantFileError } from '../schema.js';

/**
 * The one write path of configuration objects: the Management API writes an
 * object by applying a tenant document that holds it (its section only), so
 * the same TypeBox schemas, cross-reference checks, script compilation and
 * repository writes as `tessera apply` judge and store it, in one
 * transaction. A refusal is a 400 whose message is apply's, with the path
 * made relative to the object: `rules[2].script: rule "x" does not compile: …`
 * becomes `Payload validation error: script: rule "x" does not compile: …`.
 */
export async function writeObjects(
  store: Store,
  doc: TenantDoc,
  at: string,
  opts: ApplyOptions = {},
): Promise<ApplyReport> {
  try {
    return await applyTenant(store, doc, opts);
  } catch (err) {
    if (err instanceof TenantFileError) throw managementErrors.invalidBody(refusal(err.errors, at));
    throw err;
  }
}

/** apply's error lines as one Management API message, paths relative to `at` (e.g. `rules[2]`). */
export function refusal(errors: string[], at: string): string {
  const lines = errors.map((e) => {
    if (e.startsWith(`${at}.`)) return e.slice(at.length + 1);
    if (e.startsWith(`${at}[`)) return e.slice(at.length);
    if (e.startsWith(`${at}: `)) return e.slice(at.length + 2);
    return e;
  });
  return `Payload validation error: ${lines.join('; ')}`;
}

/** A stable id for an object kept in a setting list: `prefix` + 16 base64url characters of its key. */
export function derivedId(prefix: string, key: string): string {
  return prefix + createHash('sha256').update(key).digest('base64url').slice(0, 16);
}

/** A new random secret (client secrets): 48 base64url characters. */
export function newSecret(): string {
  return randomBytes(36).toString('base64url');
}

/** A whole setting section as a list (empty when never written). */
export async function sectionList<T>(store: Store, key: string): Promise<T[]> {
  return copyOf<T[]>(await getSetting<T[]>(store.db, key)) ?? [];
}

/** A changeable copy of a stored setting (getSetting's values are frozen and shared). */
export function copyOf<T>(value: DeepReadonly<T> | undefined): T | undefined {
  return value === undefined ? undefined : (structuredClone(value) as T);
}

/** 404 `The <what> does not exist.` (errorCode `inexistent_<what>`). */
export function notFound(what: string): Error {
  return managementErrors.notFound(`The ${what} does not exist.`, `inexistent_${what.replace(/ /g, '_')}`);
}

/** `old` with `patch` applied: a given field replaces the stored one, `null` removes it. */
export function mergePatch<T extends object>(old: T, patch: Record<string, unknown>): T {
  const merged = { ...old } as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete merged[k];
    else if (v !== undefined) merged[k] = v;
  }
  return merged as T;
}
