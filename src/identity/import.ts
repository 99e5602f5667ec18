import type { Store } from '../store/db.js';
import { identifiers, writeBatch } from './import-batch.js';
import { type ImportedUser, parseRecord } from './import-record.js';
import { databaseConnection } from './users.js';

export interface ImportOptions {
  /** Clock for created_at/updated_at (epoch ms). */
  now: number;
  /** Users written per transaction. */
  batchSize?: number;
  /** Update existing users (matched by email, else username) instead of refusing them. */
  upsert?: boolean;
}

export interface ImportResult {
  imported: number;
  /** Existing users an upsert changed. */
  updated: number;
  /** One `[index] field: message` line per problem, by record index. */
  errors: string[];
}

/**
 * Imports Auth0's bulk user import JSON (an array of user objects) into a
 * database connection. Every record is checked; a bad one is reported as
 * `[index] field: message` and skipped, and the valid ones are imported, one
 * transaction per batch. Imported hashes (bcrypt, argon2) are stored as they
 * are and upgraded to argon2id at the user's first login; no password policy
 * applies to them (a hash cannot be checked). Existing users are never
 * changed: a record whose user_id, email or username is taken is an error,
 * as is a later record repeating an identifier of an earlier one.
 */
export async function importUsers(
  store: Store,
  connectionName: string,
  records: unknown,
  opts: ImportOptions,
): Promise<ImportResult> {
  const batchSize = opts.batchSize ?? 500;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('batchSize must be a positive integer');
  const conn = await databaseConnection(store.db, connectionName);
  if (!Array.isArray(records)) {
    throw new Error('not an Auth0 bulk import file: it must be a JSON array of users ([{ email, … }, …])');
  }
  const errors: { index: number; message: string }[] = [];
  const push = (lines: string[], index: number) => {
    for (const message of lines) errors.push({ index, message });
  };

  const valid: ImportedUser[] = [];
  records.forEach((rec, i) => {
    const lines: string[] = [];
    const user = parseRecord(rec, i, conn.id, lines);
    push(lines, i);
    if (user) valid.push(user);
  });

  // Within the file: the first record with an identifier wins, later ones are errors.
  const seen = new Map<string, number>();
  const seenIds = new Map<string, number>();
  const unique = valid.filter((u) => {
    const lines: string[] = [];
    const first = seenIds.get(u.write.user_id);
    if (first !== undefined)
      lines.push(`[${u.index}] user_id: "${u.write.user_id}" is already used by [${first}] in the file`);
    for (const [field, value] of identifiers(u)) {
      const other = seen.get(value.toLowerCase());
      if (other !== undefined && other !== u.index) {
        lines.push(`[${u.index}] ${field}: "${value}" is already used by [${other}] in the file`);
      }
    }
    push(lines, u.index);
    if (lines.length > 0) return false;
    seenIds.set(u.write.user_id, u.index);
    for (const [, value] of identifiers(u)) seen.set(value.toLowerCase(), u.index);
    return true;
  });

  let imported = 0;
  let updated = 0;
  const upsert = opts.upsert === true;
  for (let start = 0; start < unique.length; start += batchSize) {
    const batch = unique.slice(start, start + batchSize);
    const r = await store.db
      .transaction()
      .execute((trx) => writeBatch(trx, conn, batch, { now: opts.now, upsert }));
    imported += r.inserted;
    updated += r.updated;
    for (const [index, message] of r.errors) errors.push({ index, message });
  }
  errors.sort((a, b) => a.index - b.index);
  return { imported, updated, errors: errors.map((e) => e.message) };
}
