import type { Kysely } from 'kysely';
import { consumeOnce } from '../consume.js';
import type { Database, MfaAuthenticatorsTable } from '../schema.js';

export type AuthenticatorRow = MfaAuthenticatorsTable;

/** A user's authenticators, oldest first, the recovery code last. */
export async function listAuthenticators(db: Kysely<Database>, userId: string): Promise<AuthenticatorRow[]> {
  const rows = await db
    .selectFrom('mfa_authenticators')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return [
    ...rows.filter((r) => r.type !== 'recovery-code'),
    ...rows.filter((r) => r.type === 'recovery-code'),
  ];
}

export async function insertAuthenticator(db: Kysely<Database>, row: AuthenticatorRow): Promise<void> {
  await db.insertInto('mfa_authenticators').values(row).execute();
}

/** Removes a user's unconfirmed authenticators of a type (a new enrolment replaces an abandoned one). */
export async function deletePendingAuthenticators(
  db: Kysely<Database>,
  userId: string,
  type: string,
): Promise<void> {
  await db
    .deleteFrom('mfa_authenticators')
    .where('user_id', '=', userId)
    .where('type', '=', type)
    .where('active', '=', 0)
    .execute();
}

/** Confirms authenticators (the first successful MFA grant after enrolment). */
export async function activateAuthenticators(db: Kysely<Database>, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('mfa_authenticators').set({ active: 1 }).where('id', 'in', ids).execute();
}

/** Deletes one of a user's authenticators; false when it was not theirs. */
export async function deleteAuthenticator(
  db: Kysely<Database>,
  userId: string,
  id: string,
): Promise<boolean> {
  const r = await db
    .deleteFrom('mfa_authenticators')
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

export async function deleteUserAuthenticators(db: Kysely<Database>, userId: string): Promise<number> {
  const r = await db.deleteFrom('mfa_authenticators').where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * Accepts a TOTP time step once: only if it is newer than the last one
 * accepted, in one conditional UPDATE, so a replayed or raced code loses.
 */
export async function claimTotpStep(db: Kysely<Database>, id: string, step: number): Promise<boolean> {
  return consumeOnce(
    db,
    'mfa_authenticators',
    (eb) => eb.and([eb('id', '=', id), eb('last_step', '<', step)]),
    { last_step: step },
  );
}

/** Replaces a recovery code, only if it still is the one just verified (one use, even under races). */
export async function replaceRecoveryCode(
  db: Kysely<Database>,
  id: string,
  oldHash: string,
  newHash: string,
): Promise<boolean> {
  return consumeOnce(
    db,
    'mfa_authenticators',
    (eb) => eb.and([eb('id', '=', id), eb('code_hash', '=', oldHash)]),
    { code_hash: newHash },
  );
}

/** One authenticator by id (any user's). */
export async function findAuthenticatorById(
  db: Kysely<Database>,
  id: string,
): Promise<AuthenticatorRow | undefined> {
  return db.selectFrom('mfa_authenticators').selectAll().where('id', '=', id).executeTakeFirst();
}
