import type { Kysely } from 'kysely';
import { hashProfile } from '../hash-profile.js';

/**
 * users.hash_profile: what verifying the user's password hash costs
 * (algorithm and parameters, see hash-profile.ts), indexed by connection so
 * that the slowest kind of hash present in a connection is cheap to find.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('hash_profile', 'varchar(128)').execute();
  await db.schema
    .createIndex('users_connection_hash_profile')
    .on('users')
    .columns(['connection_id', 'hash_profile'])
    .execute();
  // Existing users, a page at a time (keyed by id, so an update never moves the cursor).
  let after = '';
  for (;;) {
    const rows: { id: string; password_hash: string }[] = await db
      .selectFrom('users')
      .select(['id', 'password_hash'])
      .where('password_hash', 'is not', null)
      .where('id', '>', after)
      .orderBy('id')
      .limit(1000)
      .execute();
    if (rows.length === 0) break;
    for (const r of rows) {
      const profile = hashProfile(r.password_hash);
      if (profile)
        await db.updateTable('users').set({ hash_profile: profile }).where('id', '=', r.id).execute();
    }
    after = rows[rows.length - 1]!.id;
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('users_connection_hash_profile').execute();
  await db.schema.alterTable('users').dropColumn('hash_profile').execute();
}
