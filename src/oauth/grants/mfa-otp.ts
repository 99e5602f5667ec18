import { withAttempt } from '../../mfa/attempts.js';
import { mfaErrors } from '../../mfa/errors.js';
import { mfaBox } from '../../mfa/secrets.js';
import { MFA_GRANTS } from '../../mfa/settings.js';
import { verifyTotp } from '../../mfa/totp.js';
import { claimTotpStep, listAuthenticators } from '../../store/repos/mfa-authenticators.js';
import { pendingLogin, resumeLogin } from './mfa-resume.js';
import type { Grant } from './types.js';

/**
 * Auth0's mfa-otp grant: `mfa_token` + `otp`, a TOTP code from the user's
 * authenticator app (active, or being enrolled in this transaction). A code
 * is good once: its time step must be newer than the last one accepted.
 */
export const mfaOtpGrant: Grant = {
  grantType: MFA_GRANTS.otp,
  failureEvent: 'feotpft',
  async handle(req) {
    const { rt } = req;
    const tx = await pendingLogin(req);
    const otp = req.params.required('otp');
    const auth = (await listAuthenticators(rt.store.db, tx.login.userId)).find((a) => a.type === 'otp');
    if (!auth?.secret_enc) throw mfaErrors.noFactor('otp');
    const box = mfaBox(rt);
    const ok = await withAttempt(rt, tx.login.userId, req.client.client_id, async () => {
      const step = verifyTotp(box.open(auth.secret_enc!), otp, rt.now());
      return step !== undefined && (await claimTotpStep(rt.store.db, auth.id, step)) ? true : undefined;
    });
    if (!ok) throw mfaErrors.invalidOtp();
    return resumeLogin(req, tx, { success: 'seotpft', failure: 'feotpft' });
  },
};
