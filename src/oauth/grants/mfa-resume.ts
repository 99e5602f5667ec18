import { recordEvent } from '../../events/log.js';
import { restoredLogin } from '../../login/build.js';
import { MFA_LOGIN, runLogin } from '../../login/pipeline.js';
import { mfaErrors } from '../../errors/index.js';
import { type MfaTransaction, completeMfa, loadMfaTransaction } from '../../mfa/transactions.js';
import { findConnectionById } from '../../store/repos/connections.js';
import { activateAuthenticators, listAuthenticators } from '../../store/repos/mfa-authenticators.js';
import { findApi } from '../audience.js';
import { findUserById } from '../../store/repos/users.js';
import type { TokenResponse } from '../../tokens/tokens.js';
import type { GrantRequest } from './types.js';

/** The pending login of the request's mfa_token, which must belong to the requesting client. */
export async function pendingLogin(req: GrantRequest): Promise<MfaTransaction> {
  const tx = await loadMfaTransaction(req.rt, req.params.required('mfa_token'));
  if (tx.login.clientId !== req.client.client_id) throw mfaErrors.clientMismatch();
  return tx;
}

/**
 * Finishes a login paused by MFA once the factor `verifiedId` was verified:
 * ends the MFA transaction (once, even under races), confirms that factor if
 * this transaction enrolled it (with the recovery code shown alongside), and
 * gives the answer the password grant would have given.
 */
export async function resumeLogin(
  req: GrantRequest,
  tx: MfaTransaction,
  verifiedId: string,
  events: { success: string; failure: string },
): Promise<TokenResponse> {
  const { rt, client } = req;
  const { login } = tx;
  if (!(await completeMfa(rt, tx))) throw mfaErrors.malformedToken();
  // Only the enrolment just proven: nothing another login enrolled, nothing this one did not verify.
  const auths = await listAuthenticators(rt.store.db, login.userId);
  const verified = auths.find((a) => a.id === verifiedId && a.active === 0 && a.enrolled_in === tx.row.id);
  const pending = verified
    ? auths.filter(
        (a) =>
          a.active === 0 && a.enrolled_in === tx.row.id && (a === verified || a.type === 'recovery-code'),
      )
    : [];
  if (pending.length > 0) {
    await activateAuthenticators(
      rt.store.db,
      pending.map((a) => a.id),
    );
    await recordEvent(rt, {
      type: 'gd_enrollment_complete',
      description: null,
      user_id: login.userId,
      client_id: client.client_id,
      details: { authenticators: pending.map((a) => a.type) },
    });
  }
  const user = await findUserById(rt.store.db, login.userId);
  const connection = await findConnectionById(rt.store.db, login.connectionId);
  const api = login.audience ? await findApi(rt, login.audience) : undefined;
  if (!user || user.blocked || !connection || (login.audience && !api)) throw mfaErrors.malformedToken();
  return runLogin(restoredLogin(req, login, { user, connection, api }, events), MFA_LOGIN);
}
