/** One step of a path into a document: a mapping's key or a list's index. */
export type Segment = string | number;

/** Joins a path and a key: `clients[0]` + `name` → `clients[0].name`. */
export function child(path: string, key: Segment): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/** A path as the tenant file's errors spell it: `clients[1].grant_types[0]`. */
export function formatPath(path: readonly Segment[]): string {
  return path.reduce<string>(child, '');
}

/** True for a plain mapping (not a list, not null). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
