import type { Kysely } from 'kysely';
import { consumeOnce } from '../consume.js';
import type { Database } from '../schema.js';

/** Why a send was refused, and when the next one may go (ms from now). */
export type SendRefusal = { reason: 'too_soon' | 'spent'; retryAfterMs: number };

/** Thrown inside the transaction to roll back the counter it already moved. */
class Refused extends Error {
  constructor(readonly refusal: SendRefusal) {
    super(refusal.reason);
  }
}

/**
 * Claims the right to send one SMS or email code for MFA transaction `txId`
 * of `userId`: at most `maxPerTx` for the transaction, and none within
 * `intervalMs` of the user's previous send (whichever transaction sent it).
 * Both counters move in one database transaction of conditional UPDATEs, so
 * of racing calls — on any node — exactly one wins; undefined means it may send.
 */
export async function claimOobSend(
  db: Kysely<Database>,
  o: { txId: string; userId: string; now: number; intervalMs: number; maxPerTx: number },
): Promise<SendRefusal | undefined> {
  try {
    await db.transaction().execute(async (trx) => {
      const counted = await consumeOnce(
        trx,
        'mfa_transactions',
        (eb) => eb.and([eb('id', '=', o.txId), eb('oob_sends', '<', o.maxPerTx)]),
        (eb) => ({ oob_sends: eb('oob_sends', '+', 1) }),
      );
      // A spent login may ask again once a new login is allowed to send.
      if (!counted) throw new Refused({ reason: 'spent', retryAfterMs: o.intervalMs });
      await trx
        .insertInto('mfa_oob_sends')
        .values({ user_id: o.userId, last_sent_at: o.now - o.intervalMs })
        .onConflict((oc) => oc.column('user_id').doNothing())
        .execute();
      const claimed = await consumeOnce(
        trx,
        'mfa_oob_sends',
        (eb) => eb.and([eb('user_id', '=', o.userId), eb('last_sent_at', '<=', o.now - o.intervalMs)]),
        { last_sent_at: o.now },
      );
      if (claimed) return;
      const row = await trx
        .selectFrom('mfa_oob_sends')
        .select('last_sent_at')
        .where('user_id', '=', o.userId)
        .executeTakeFirst();
      const last = Number(row?.last_sent_at ?? o.now);
      throw new Refused({ reason: 'too_soon', retryAfterMs: Math.max(0, last + o.intervalMs - o.now) });
    });
    return undefined;
  } catch (err) {
    if (err instanceof Refused) return err.refusal;
    throw err;
  }
}

/**
 * Lifts a user's wait once the code sent at `sentAt` was used: the user
 * proved they received it, so the next code (a new login) may go at once.
 * A code sent after it keeps the wait.
 */
export async function releaseOobSend(db: Kysely<Database>, userId: string, sentAt: number): Promise<void> {
  await db
    .updateTable('mfa_oob_sends')
    .set({ last_sent_at: 0 })
    .where('user_id', '=', userId)
    .where('last_sent_at', '<=', sentAt)
    .execute();
}
