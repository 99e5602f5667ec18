import { type Kysely, PostgresAdapter } from 'kysely';
import type { Database } from '../schema.js';

type Json = Record<string, unknown>;

/** Top-level patches of a user's metadata: a key set to null is removed (Auth0's PATCH). */
export interface MetadataPatch {
  app_metadata?: Json;
  user_metadata?: Json;
}

/** Auth0's limit on each of app_metadata and user_metadata (bytes of its JSON). */
export const METADATA_MAX_BYTES = 16 * 1024;

export function mergeMetadata(old: Json, patch: Json): Json {
  const out: Json = { ...old };
  for (const [k, v] of Object.entries(patch)) {
    if (k === '__proto__') continue;
    if (v === null || v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** The field whose merged JSON would pass Auth0's 16 KB, if any. */
export function oversizedMetadata(
  user: { app_metadata: Json; user_metadata: Json },
  patch: MetadataPatch,
): 'app_metadata' | 'user_metadata' | undefined {
  for (const field of ['app_metadata', 'user_metadata'] as const) {
    const p = patch[field];
    if (p && Buffer.byteLength(JSON.stringify(mergeMetadata(user[field], p))) > METADATA_MAX_BYTES)
      return field;
  }
  return undefined;
}

/**
 * Merges the patches into the stored metadata in one transaction that
 * re-reads the row (locked on PostgreSQL; SQLite serializes writers), so two
 * logins writing different keys at once both keep theirs. Returns the new
 * metadata, or the field that would pass 16 KB (nothing is written then).
 */
export async function patchUserMetadata(
  db: Kysely<Database>,
  userId: string,
  patch: MetadataPatch,
  now: number,
): Promise<
  | { ok: true; app_metadata: Json; user_metadata: Json }
  | { ok: false; field: 'app_metadata' | 'user_metadata' }
> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  return db.transaction().execute(async (trx) => {
    let q = trx.selectFrom('users').select(['app_metadata', 'user_metadata']).where('id', '=', userId);
    if (pg) q = q.forUpdate();
    const row = await q.executeTakeFirst();
    if (!row) return { ok: true, app_metadata: {}, user_metadata: {} };
    const current = {
      app_metadata: JSON.parse(row.app_metadata),
      user_metadata: JSON.parse(row.user_metadata),
    };
    const field = oversizedMetadata(current, patch);
    if (field) return { ok: false, field };
    const next = {
      app_metadata: patch.app_metadata
        ? mergeMetadata(current.app_metadata, patch.app_metadata)
        : current.app_metadata,
      user_metadata: patch.user_metadata
        ? mergeMetadata(current.user_metadata, patch.user_metadata)
        : current.user_metadata,
    };
    await trx
      .updateTable('users')
      .set({
        app_metadata: JSON.stringify(next.app_metadata),
        user_metadata: JSON.stringify(next.user_metadata),
        updated_at: now,
      })
      .where('id', '=', userId)
      .execute();
    return { ok: true, ...next };
  });
}
