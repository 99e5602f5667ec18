import { recordEvent } from '../../events/log.js';
import { withAttempt } from '../../mfa/attempts.js';
import { codeHash, normaliseRecoveryCode, recoveryCode } from '../../mfa/codes.js';
import { mfaErrors } from '../../errors/index.js';
import { MFA_GRANTS } from '../../mfa/settings.js';
import { listAuthenticators, replaceRecoveryCode } from '../../store/repos/mfa-authenticators.js';
import { orderResponse } from '../../tokens/tokens.js';
import { pendingLogin, resumeLogin } from './mfa-resume.js';
import type { Grant } from './types.js';

/**
 * Auth0's mfa-recovery-code grant: `mfa_token` + `recovery_code`. The used
 * code dies at once (replaced in one conditional UPDATE) and the answer
 * carries the new one as `recovery_code`, to be written down again.
 */
export const mfaRecoveryCodeGrant: Grant = {
  grantType: MFA_GRANTS.recovery,
  parameters: new Set(['mfa_token', 'recovery_code']),
  failureEvent: 'fercft',
  async handle(req) {
    const { rt } = req;
    const tx = await pendingLogin(req);
    const presented = normaliseRecoveryCode(req.params.required('recovery_code'));
    const auth = (await listAuthenticators(rt.store.db, tx.login.userId)).find(
      // Only a confirmed code: a fresh one from this login's enrolment would confirm a factor never proven.
      (a) => a.type === 'recovery-code' && a.active === 1,
    );
    if (!auth?.code_hash) throw mfaErrors.noRecoveryCode();
    const fresh = recoveryCode();
    const ok = await withAttempt(rt, tx.login.userId, req.client.client_id, async () =>
      codeHash(rt, presented) === auth.code_hash &&
      (await replaceRecoveryCode(rt.store.db, auth.id, auth.code_hash!, codeHash(rt, fresh)))
        ? true
        : undefined,
    );
    const event = { user_id: tx.login.userId, client_id: req.client.client_id, description: null };
    if (!ok) {
      await recordEvent(rt, { type: 'gd_recovery_failed', ...event });
      throw mfaErrors.invalidRecovery();
    }
    await recordEvent(rt, { type: 'gd_recovery_succeed', ...event });
    const response = await resumeLogin(req, tx, auth.id, { success: 'sercft', failure: 'fercft' });
    return { ...orderResponse(response), recovery_code: fresh };
  },
};
