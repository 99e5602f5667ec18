import { type Static, type TString, Type } from '@sinclair/typebox';

/**
 * `fields` and `include_fields` (Auth0's, on most reads): which fields of
 * each object to answer, or to leave out. Spread into a querystring schema.
 */
export const FieldsFields = {
  fields: Type.Optional(
    Type.String({ maxLength: 1000, description: 'Comma-separated fields to include (or exclude).' }),
  ),
  include_fields: Type.Optional(
    Type.Boolean({ description: 'true (default): only `fields`; false: all but `fields`.' }),
  ),
};

/** The fields query of one object's read (`GET /clients/{id}?fields=name`). */
export const FieldsQuery = Type.Object(FieldsFields, { additionalProperties: false });
export type FieldsQuery = Static<typeof FieldsQuery>;

/** A query's `fields` / `include_fields`. */
export interface FieldsSelection {
  fields?: string;
  include_fields?: boolean;
}

/** The values of a comma-separated query field (`a, b,c`), or undefined when not given. */
export function commaList(value: string | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  // An empty entry names no field, and the client without an app_type for `app_type=`.
  return new Set(value.split(',').map((v) => v.trim()));
}

/** Applies `fields` / `include_fields` to an object's view (unchanged without `fields`). */
export function selectFields<T extends object>(view: T, q: FieldsSelection): Partial<T> {
  const names = q.fields ? commaList(q.fields)! : undefined;
  if (!names) return view;
  const include = q.include_fields !== false;
  return Object.fromEntries(Object.entries(view).filter(([k]) => names.has(k) === include)) as Partial<T>;
}

/** A query field given once or repeated (`identifiers=a&identifiers=b`), as Auth0's SDKs send arrays. */
export function OneOrMany(item: TString, description: string) {
  return Type.Optional(Type.Union([item, Type.Array(item, { maxItems: 100 })], { description }));
}

/** The values of a OneOrMany field (undefined: not given). */
export function manyOf(value: string | string[] | undefined): string[] | undefined {
  return value === undefined ? undefined : Array.isArray(value) ? value : [value];
}
