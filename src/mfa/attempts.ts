import { recordEvent } from '../events/log.js';
import type { Runtime } from '../runtime.js';
import { refundMfaAttempt, takeMfaAttempt } from '../store/repos/mfa-transactions.js';
import { mfaErrors } from '../errors/index.js';
import { MFA_LIMITS } from './settings.js';

/**
 * Runs one factor verification against the user's bucket of attempts (10,
 * one back every 6 minutes): a token is taken before the check — so
 * concurrent guesses can never exceed the bucket — and given back when the
 * check succeeds. An empty bucket answers `too_many_attempts`.
 */
export async function withAttempt<T>(
  rt: Runtime,
  userId: string,
  clientId: string,
  verify: () => Promise<T | undefined>,
): Promise<T | undefined> {
  const { bucketCapacity: cap, bucketRefillMs: refill } = MFA_LIMITS;
  if (!(await takeMfaAttempt(rt.store.db, userId, rt.now(), cap, refill))) {
    await recordEvent(rt, {
      type: 'gd_otp_rate_limit_exceed',
      description: 'Too many failed MFA verifications',
      user_id: userId,
      client_id: clientId,
    });
    throw mfaErrors.tooManyAttempts(Math.ceil(refill / 1000));
  }
  const result = await verify();
  if (result !== undefined) await refundMfaAttempt(rt.store.db, userId, cap);
  else
    await recordEvent(rt, {
      type: 'gd_auth_failed',
      description: null,
      user_id: userId,
      client_id: clientId,
    });
  return result;
}
