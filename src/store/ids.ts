import { v7 } from 'uuid';

/**
 * A new row id for the tables written on every request (refresh tokens and
 * their families, audit events): `prefix` and a UUIDv7, whose first 48 bits
 * are the time of day in milliseconds and the other 74 random. Ids made one
 * after another sort one after another, so each new row's primary-key entry
 * lands on the index's last page, where the rows just before it went: a
 * group commit (write-group.ts) then appends that page to SQLite's WAL once
 * instead of once per row, and PostgreSQL's B-tree stays dense. A random
 * (v4) id touches a different page each time.
 *
 * An id is not a secret (a refresh token is its random value, stored only
 * as a hash), and the time it carries is stored beside it anyway.
 */
export function rowId(prefix: string): string {
  return `${prefix}_${v7()}`;
}
