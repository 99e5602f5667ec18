import { type Static, Type } from '@sinclair/typebox';
import { DEFAULTS } from '../config/defaults.js';
import { managementErrors } from '../errors/index.js';

/** The largest `per_page` (Auth0's). */
export const MAX_PER_PAGE = DEFAULTS.management.maxPerPage;
/** `per_page` when none is given (Auth0's). */
export const DEFAULT_PER_PAGE = DEFAULTS.management.perPage;

/** Query fields of every list endpoint: spread them into the route's querystring schema. */
export const PagingFields = {
  page: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, description: 'Page index, 0-based.' })),
  per_page: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_PER_PAGE,
      description: `Results per page (at most ${MAX_PER_PAGE}).`,
    }),
  ),
  include_totals: Type.Optional(
    Type.Boolean({ description: 'Answer {start, limit, length, total, <items>} instead of a bare list.' }),
  ),
};

/** The querystring of a list endpoint with only paging. */
export const PagingQuery = Type.Object(PagingFields, { additionalProperties: false });
export type PagingQuery = Static<typeof PagingQuery>;

/** Which slice a query asks for: skip `offset`, take `limit`. */
export interface Page {
  offset: number;
  limit: number;
  includeTotals: boolean;
}

/** The slice a paging query asks for. */
export function pageOf(q: { page?: number; per_page?: number; include_totals?: boolean }): Page {
  const limit = q.per_page ?? DEFAULT_PER_PAGE;
  return { offset: (q.page ?? 0) * limit, limit, includeTotals: q.include_totals === true };
}

/**
 * A list answer: the items, or with `include_totals`
 * `{start, limit, length, total, [key]: items}` (Auth0's shape).
 */
export function pagedAnswer<T>(
  key: string,
  items: T[],
  total: number,
  page: Page,
): T[] | Record<string, unknown> {
  if (!page.includeTotals) return items;
  return { start: page.offset, limit: page.limit, length: items.length, total, [key]: items };
}

/** Slices a list held in memory (small lists: connections, roles…). */
export function pageArray<T>(key: string, all: T[], page: Page): T[] | Record<string, unknown> {
  return pagedAnswer(key, all.slice(page.offset, page.offset + page.limit), all.length, page);
}

/** The response schema of a list endpoint whose items are `item`, under `key` with include_totals. */
export function PagedResponse(
  key: string,
  item: ReturnType<typeof Type.Object> | ReturnType<typeof Type.Any>,
) {
  return Type.Union([
    Type.Array(item),
    Type.Object({
      start: Type.Integer(),
      limit: Type.Integer(),
      length: Type.Integer(),
      total: Type.Integer(),
      [key]: Type.Array(item),
    }),
  ]);
}

/** PagedResponse, or with `from`/`take` the checkpoint answer `{[key]: items, next?}`. */
export function CheckpointedResponse(
  key: string,
  item: ReturnType<typeof Type.Object> | ReturnType<typeof Type.Any>,
) {
  return Type.Union([
    ...PagedResponse(key, item).anyOf,
    Type.Object({ [key]: Type.Array(item), next: Type.Optional(Type.String()) }),
  ]);
}

/** Query fields of a list with Auth0's checkpoint paging: spread them into its querystring schema. */
export const CheckpointFields = {
  from: Type.Optional(
    Type.String({ minLength: 1, maxLength: 255, description: 'Checkpoint: the `next` of the page before.' }),
  ),
  take: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_PER_PAGE,
      description: `Checkpoint: at most this many (default ${DEFAULT_PER_PAGE}).`,
    }),
  ),
};

/** True when a list query asks for checkpoint paging (`from` or `take`) rather than pages. */
export function isCheckpoint(q: { from?: string; take?: number }): boolean {
  return q.from !== undefined || q.take !== undefined;
}

/**
 * A list held in memory answered by checkpoint (Auth0's shape): `{[key]:
 * items, next}`, `next` the id to pass as `from` for the following items,
 * absent after the last. A `from` that names no item is a 400.
 */
export function checkpointAnswer<T>(
  key: string,
  all: T[],
  idOf: (item: T, index: number) => string,
  q: { from?: string; take?: number },
): Record<string, unknown> {
  const start = q.from === undefined ? 0 : all.findIndex((x, i) => idOf(x, i) === q.from);
  if (start < 0) {
    throw managementErrors.invalidQuery(`Query validation error: from: no ${key} checkpoint "${q.from}"`);
  }
  const end = start + (q.take ?? DEFAULT_PER_PAGE);
  const next = all[end];
  return next === undefined
    ? { [key]: all.slice(start, end) }
    : { [key]: all.slice(start, end), next: idOf(next, end) };
}
