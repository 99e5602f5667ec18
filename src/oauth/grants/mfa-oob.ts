import { timingSafeEqual } from 'node:crypto';
import { usableAuthenticators } from '../../mfa/access.js';
import { withAttempt } from '../../mfa/attempts.js';
import { codeHash } from '../../mfa/codes.js';
import { mfaErrors } from '../../errors/index.js';
import { MFA_GRANTS, MFA_LIMITS } from '../../mfa/settings.js';
import { listAuthenticators } from '../../store/repos/mfa-authenticators.js';
import { releaseOobSend } from '../../store/repos/mfa-sends.js';
import { findMfaChallenge, pollMfaChallenge, useMfaChallenge } from '../../store/repos/mfa-transactions.js';
import { pendingLogin, resumeLogin } from './mfa-resume.js';
import type { Grant } from './types.js';

/**
 * Auth0's mfa-oob grant: `mfa_token` + `oob_code` from /mfa/challenge (or
 * /mfa/associate) + `binding_code`, the 6 digits the user received. Without
 * a binding code the answer is `authorization_pending` (the user has not
 * typed it yet), or `slow_down` when polled more often than every 5 s.
 */
export const mfaOobGrant: Grant = {
  grantType: MFA_GRANTS.oob,
  parameters: new Set(['mfa_token', 'oob_code', 'binding_code']),
  failureEvent: 'feoobft',
  async handle(req) {
    const { rt } = req;
    const tx = await pendingLogin(req);
    const challenge = await findMfaChallenge(rt.store.db, codeHash(rt, req.params.required('oob_code')));
    if (!challenge || challenge.transaction_id !== tx.row.id || challenge.used_at !== null)
      throw mfaErrors.malformedOob();
    if (rt.now() >= challenge.expires_at) throw mfaErrors.expiredOob();
    // The factor the code went to must still be confirmed, or be this transaction's own enrolment.
    const auths = usableAuthenticators(await listAuthenticators(rt.store.db, tx.login.userId), tx);
    if (!auths.some((a) => a.id === challenge.authenticator_id)) throw mfaErrors.malformedOob();
    const binding = req.params.optional('binding_code');
    if (binding === undefined) {
      if (!(await pollMfaChallenge(rt.store.db, challenge.id, rt.now(), MFA_LIMITS.pollIntervalMs))) {
        throw mfaErrors.slowDown();
      }
      throw mfaErrors.pending();
    }
    const ok = await withAttempt(rt, tx.login.userId, req.client.client_id, async () => {
      const given = Buffer.from(codeHash(rt, binding.trim()));
      const expected = Buffer.from(challenge.binding_hash);
      const match = given.length === expected.length && timingSafeEqual(given, expected);
      return match && (await useMfaChallenge(rt.store.db, challenge.id, rt.now())) ? true : undefined;
    });
    if (!ok) throw mfaErrors.invalidBinding();
    await releaseOobSend(rt.store.db, tx.login.userId, challenge.created_at);
    return resumeLogin(req, tx, challenge.authenticator_id, { success: 'seoobft', failure: 'feoobft' });
  },
};
