import { errors, mfaErrors } from '../errors/index.js';
import { type ChallengeAnswer, type ChallengeType, startChallenge } from '../mfa/challenge.js';
import { loadMfaTransaction } from '../mfa/transactions.js';
import type { Runtime } from '../runtime.js';
import { authenticateClient } from './client-auth.js';
import type { Params } from './params.js';

/**
 * POST /mfa/challenge: the mfa_token's paused login, for its own client,
 * challenged with the kinds asked for (`challenge_type`, default both). The
 * mfa_token is bound to its client and is the credential here: Auth0's
 * MfaClient sends only client_id. Client credentials, when sent, must be
 * right (401 `invalid_client`).
 */
export async function mfaChallenge(
  rt: Runtime,
  params: Params,
  authorization: string | undefined,
): Promise<ChallengeAnswer> {
  const tx = await loadMfaTransaction(rt, params.required('mfa_token'));
  const sentCredentials = params.optional('client_secret') !== undefined || Boolean(authorization);
  const clientId = sentCredentials
    ? (await authenticateClient(rt, params, authorization, { failure: 'invalid_client' })).client.client_id
    : params.required('client_id');
  if (clientId !== tx.login.clientId) throw mfaErrors.clientMismatch();
  const wanted = params.optional('challenge_type')?.split(' ') ?? ['oob', 'otp'];
  if (wanted.some((t) => t !== 'otp' && t !== 'oob')) {
    throw errors.malformedParameter('challenge_type', 'must be "otp", "oob" or "oob otp"');
  }
  return startChallenge(rt, tx, wanted as ChallengeType[], params.optional('authenticator_id'));
}
