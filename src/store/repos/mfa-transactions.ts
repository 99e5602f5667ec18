import type { Kysely } from 'kysely';
import { consumeOnce } from '../consume.js';
import { fromTokens, giveBackToken, takeToken, toTokens } from '../token-bucket.js';
import type { Database, MfaChallengesTable, MfaTransactionsTable } from '../schema.js';

export type MfaTransactionRow = MfaTransactionsTable;
export type MfaChallengeRow = MfaChallengesTable;

export async function insertMfaTransaction(db: Kysely<Database>, row: MfaTransactionRow): Promise<void> {
  await db.insertInto('mfa_transactions').values(row).execute();
}

/** Stores a transaction unless one with the same token exists (racing enrolments share one). */
export async function insertMfaTransactionIfAbsent(
  db: Kysely<Database>,
  row: MfaTransactionRow,
): Promise<void> {
  await db
    .insertInto('mfa_transactions')
    .values(row)
    .onConflict((oc) => oc.column('token_hash').doNothing())
    .execute();
}

/** Forgets a finished transaction, so that its token may start a new one. */
export async function deleteFinishedMfaTransaction(
  db: Kysely<Database>,
  id: string,
  now: number,
): Promise<void> {
  await db
    .deleteFrom('mfa_transactions')
    .where('id', '=', id)
    .where((eb) => eb.or([eb('completed_at', 'is not', null), eb('expires_at', '<=', now)]))
    .execute();
}

export async function findMfaTransaction(
  db: Kysely<Database>,
  tokenHash: string,
): Promise<MfaTransactionRow | undefined> {
  return db.selectFrom('mfa_transactions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** Ends a pending login once: of two racing MFA grants exactly one completes it. */
export async function completeMfaTransaction(
  db: Kysely<Database>,
  id: string,
  now: number,
): Promise<boolean> {
  return consumeOnce(
    db,
    'mfa_transactions',
    (eb) => eb.and([eb('id', '=', id), eb('completed_at', 'is', null)]),
    { completed_at: now },
  );
}

export async function insertMfaChallenge(db: Kysely<Database>, row: MfaChallengeRow): Promise<void> {
  await db.insertInto('mfa_challenges').values(row).execute();
}

export async function findMfaChallenge(
  db: Kysely<Database>,
  oobHash: string,
): Promise<MfaChallengeRow | undefined> {
  return db.selectFrom('mfa_challenges').selectAll().where('oob_hash', '=', oobHash).executeTakeFirst();
}

/** Records a poll; false when the previous one was less than `minIntervalMs` ago (slow_down). */
export async function pollMfaChallenge(
  db: Kysely<Database>,
  id: string,
  now: number,
  minIntervalMs: number,
): Promise<boolean> {
  return consumeOnce(
    db,
    'mfa_challenges',
    (eb) =>
      eb.and([
        eb('id', '=', id),
        eb.or([eb('last_poll_at', 'is', null), eb('last_poll_at', '<=', now - minIntervalMs)]),
      ]),
    { last_poll_at: now },
  );
}

/** Uses an OOB challenge once. */
export async function useMfaChallenge(db: Kysely<Database>, id: string, now: number): Promise<boolean> {
  return consumeOnce(db, 'mfa_challenges', (eb) => eb.and([eb('id', '=', id), eb('used_at', 'is', null)]), {
    used_at: now,
  });
}

/**
 * Takes one token from a user's bucket of failed MFA verifications
 * (`capacity` tokens, one back every `refillMs`). False when it is empty.
 * Concurrent failures never take more than the bucket holds (see updateBucket).
 */
export async function takeMfaAttempt(
  db: Kysely<Database>,
  userId: string,
  now: number,
  capacity: number,
  refillMs: number,
): Promise<boolean> {
  await db
    .insertInto('mfa_attempts')
    .values({ user_id: userId, tokens: capacity, updated_at: now })
    .onConflict((oc) => oc.column('user_id').doNothing())
    .execute();
  const shape = { capacity, rateMs: refillMs };
  return updateBucket(db, userId, (row) => {
    const take = takeToken(fromTokens(row.tokens, row.updated_at, shape), shape, now);
    return take.ok ? { tokens: toTokens(take.tat, now, shape), updated_at: now } : undefined;
  });
}

/** Gives back the token taken for a verification that succeeded. */
export async function refundMfaAttempt(
  db: Kysely<Database>,
  userId: string,
  capacity: number,
): Promise<void> {
  // One token back, counted at the row's time: the rate cancels out, any will do.
  const shape = { capacity, rateMs: 1 };
  await updateBucket(db, userId, (row) => {
    const tat = giveBackToken(fromTokens(row.tokens, row.updated_at, shape), 1, row.updated_at);
    return {
      tokens: tat === undefined ? capacity : toTokens(tat, row.updated_at, shape),
      updated_at: row.updated_at,
    };
  });
}

type BucketRow = { tokens: number; updated_at: number };

/**
 * Optimistic read-modify-write of a user's bucket: the UPDATE applies only to
 * the row as it was read, and a lost race reads again. `change` answers the
 * new state, or undefined to leave it (the answer is then false).
 */
async function updateBucket(
  db: Kysely<Database>,
  userId: string,
  change: (row: BucketRow) => BucketRow | undefined,
): Promise<boolean> {
  for (let tries = 0; tries < 20; tries++) {
    const row = await db
      .selectFrom('mfa_attempts')
      .selectAll()
      .where('user_id', '=', userId)
      .executeTakeFirst();
    const next = row && change(row);
    if (!next) return false;
    const won = await consumeOnce(
      db,
      'mfa_attempts',
      (eb) =>
        eb.and([
          eb('user_id', '=', userId),
          eb('tokens', '=', row.tokens),
          eb('updated_at', '=', row.updated_at),
        ]),
      next,
    );
    if (won) return true;
  }
  return false;
}

/** True when the user's bucket has at least one token left (without taking it). */
export async function hasMfaAttempt(
  db: Kysely<Database>,
  userId: string,
  now: number,
  capacity: number,
  refillMs: number,
): Promise<boolean> {
  const row = await db
    .selectFrom('mfa_attempts')
    .selectAll()
    .where('user_id', '=', userId)
    .executeTakeFirst();
  const shape = { capacity, rateMs: refillMs };
  return !row || takeToken(fromTokens(row.tokens, row.updated_at, shape), shape, now).ok;
}
