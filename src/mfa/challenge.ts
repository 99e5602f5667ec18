import { errors, mfaErrors } from '../errors/index.js';
import type { Runtime } from '../runtime.js';
import { listAuthenticators } from '../store/repos/mfa-authenticators.js';
import { sendOobChallenge } from './oob.js';
import type { MfaTransaction } from './transactions.js';

/** The challenge kinds a client may ask for. */
export type ChallengeType = 'otp' | 'oob';

/** What /mfa/challenge answers (Auth0's shape). */
export type ChallengeAnswer =
  | { challenge_type: 'otp' }
  | { challenge_type: 'oob'; oob_code: string; binding_method: 'prompt' };

/**
 * Starts the challenge of a paused login: picks the factor among the user's
 * confirmed ones (the one named by `authenticatorId`, when given; otherwise
 * OTP is preferred, having nothing to send), and sends the code when it is
 * an SMS or email factor.
 */
export async function startChallenge(
  rt: Runtime,
  tx: MfaTransaction,
  wanted: readonly ChallengeType[],
  authenticatorId: string | undefined,
): Promise<ChallengeAnswer> {
  const active = (await listAuthenticators(rt.store.db, tx.login.userId)).filter(
    (a) => a.active === 1 && a.type !== 'recovery-code' && (!authenticatorId || a.id === authenticatorId),
  );
  if (active.length === 0)
    throw authenticatorId ? errors.notFound('Authenticator not found') : mfaErrors.notEnrolled();
  // An explicit authenticator decides the kind; otherwise OTP is preferred (nothing to send).
  const otp = wanted.includes('otp') ? active.find((a) => a.type === 'otp') : undefined;
  const oob = wanted.includes('oob') ? active.find((a) => a.type === 'sms' || a.type === 'email') : undefined;
  if (otp) return { challenge_type: 'otp' };
  if (oob)
    return {
      challenge_type: 'oob',
      oob_code: await sendOobChallenge(rt, tx, oob),
      binding_method: 'prompt',
    };
  throw mfaErrors.noFactor(wanted.join(' or '));
}
