import { usableAuthenticators } from '../../mfa/access.js';
import { withAttempt } from '../../mfa/attempts.js';
import { mfaErrors } from '../../errors/index.js';
import { mfaBox } from '../../mfa/secrets.js';
import { MFA_GRANTS } from '../../mfa/settings.js';
import { verifyTotp } from '../../mfa/totp.js';
import { claimTotpStep, listAuthenticators } from '../../store/repos/mfa-authenticators.js';
import { pendingLogin, resumeLogin } from './mfa-resume.js';
import type { Grant } from './types.js';

/**
 * Auth0's mfa-otp grant: `mfa_token` + `otp`, a TOTP code from the user's
 * authenticator app: a confirmed one, or the one this transaction enrolled
 * (never another login's unconfirmed enrolment). A code
 * is good once: its time step must be newer than the last one accepted.
 */
export const mfaOtpGrant: Grant = {
  grantType: MFA_GRANTS.otp,
  parameters: new Set(['mfa_token', 'otp']),
  failureEvent: 'feotpft',
  async handle(req) {
    const { rt } = req;
    const tx = await pendingLogin(req);
    const otp = req.params.required('otp');
    const auths = usableAuthenticators(await listAuthenticators(rt.store.db, tx.login.userId), tx);
    const otps = auths.filter((a) => a.type === 'otp' && a.secret_enc);
    if (otps.length === 0) throw mfaErrors.noFactor('otp');
    const box = mfaBox(rt);
    const verified = await withAttempt(rt, tx.login.userId, req.client.client_id, async () => {
      for (const auth of otps) {
        const step = verifyTotp(box.open(auth.secret_enc!), otp, rt.now());
        if (step !== undefined)
          return (await claimTotpStep(rt.store.db, auth.id, step)) ? auth.id : undefined;
      }
      return undefined;
    });
    if (!verified) throw mfaErrors.invalidOtp();
    return resumeLogin(req, tx, verified, { success: 'seotpft', failure: 'feotpft' });
  },
};
