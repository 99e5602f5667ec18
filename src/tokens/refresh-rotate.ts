import { UnavailableError } from '../errors/index.js';
import { recordEvent } from '../events/log.js';
import type { Runtime } from '../runtime.js';
import { rowId } from '../store/ids.js';
import type { LogEvent } from '../store/repos/events.js';
import { writeTogether } from '../store/write-group.js';
import {
  type NewRefreshToken,
  type RefreshTokenRow,
  consumeRefreshToken,
  forgetSuccessor,
  insertRefreshToken,
  supersedeSuccessor,
} from '../store/repos/refresh-tokens.js';
import { rotateInOneStatement } from '../store/repos/refresh-rotation.js';

/** The audit event that goes with a refresh token's use (recordEvent gives it its id and date). */
export type RedeemEvent = Omit<LogEvent, 'id' | 'date'>;

/** What a rotating token's use writes, once its plan is a rotation or a re-exchange in the leeway. */
export interface RotationWrite {
  /** `rotate`: the token is used now; `supersede`: its unused successor is replaced (the leeway). */
  kind: 'rotate' | 'supersede';
  /** The token presented, as last read. */
  fresh: RefreshTokenRow;
  successor: NewRefreshToken;
  /** The successor sealed for retries, or null. */
  sealed: string | null;
  now: number;
}

/**
 * Writes a rotation and its audit event, all or nothing; false when a racing
 * request used the token first (then nothing is written). A plain rotation
 * on PostgreSQL is one statement (rotateInOneStatement: one round trip, no
 * BEGIN/COMMIT); anything else, and SQLite, is a transaction of the same
 * writes, the event through recordEvent (whose failure answers 503). On
 * SQLite the transaction joins the turn's group commit (store/write-group.ts);
 * on PostgreSQL the turn's rotations are one statement (store/pg-batch.ts).
 */
export async function writeRotation(rt: Runtime, w: RotationWrite, event?: RedeemEvent): Promise<boolean> {
  if (w.kind === 'rotate' && event && rt.store.dialect === 'postgres') {
    try {
      return await rotateInOneStatement(rt.store.db, {
        id: w.fresh.id,
        parentId: w.fresh.parent_id,
        now: w.now,
        sealed: w.sealed,
        successor: w.successor,
        event: { id: rowId('evt'), date: rt.now(), ...event },
      });
    } catch (err) {
      if (err instanceof UnavailableError) throw err;
      // The statement wrote nothing. The transaction below makes the same writes one by one, so a
      // failure is told apart and answered as it always was (the audit event's by recordEvent).
    }
  }
  return writeTogether(rt.store.db, async (trx) => {
    const { fresh } = w;
    const ok =
      w.kind === 'rotate'
        ? // This token was its parent's successor: used now, so no retry of the parent may get it.
          await consumeRefreshToken(
            trx,
            fresh.id,
            { id: w.successor.id, sealed: w.sealed },
            w.now,
            fresh.parent_id,
          )
        : await supersedeSuccessor(trx, fresh, w.successor.id, w.now);
    if (ok) {
      await insertRefreshToken(trx, w.successor);
      // This token was its parent's successor: it is used now, so no retry of the parent may get
      // it (a rotation's UPDATE above did this already).
      if (w.kind !== 'rotate' && fresh.parent_id) await forgetSuccessor(trx, fresh.parent_id);
      if (event) await recordEvent(rt, event, trx);
    }
    return ok;
  });
}
