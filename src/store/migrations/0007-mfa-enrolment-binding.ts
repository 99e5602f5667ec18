import type { Kysely } from 'kysely';

/**
 * An unconfirmed authenticator remembers the MFA transaction that enrolled
 * it: only that transaction's first verification may confirm it, so an
 * enrolment never answers another login's challenge.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('mfa_authenticators').addColumn('enrolled_in', 'varchar(64)').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('mfa_authenticators').dropColumn('enrolled_in').execute();
}
