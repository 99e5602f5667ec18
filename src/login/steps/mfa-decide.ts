import { isEnrolled } from '../../mfa/access.js';
import { errors, mfaErrors } from '../../errors/index.js';
import { MFA_GRANTS, guardianSettings, mfaAudience } from '../../mfa/settings.js';
import { startMfaTransaction } from '../../mfa/transactions.js';
import { listAuthenticators } from '../../store/repos/mfa-authenticators.js';
import { snapshotLogin } from '../build.js';
import type { LoginContext, LoginStep } from '../context.js';

/**
 * Decides whether the login needs a second factor: the tenant's policy
 * (`guardian.policies: [all-applications]`), a rule/action that asked, or a
 * token for the MFA API of a user who has a confirmed factor — whatever the
 * rules say, as Auth0 does: a password alone must not manage the factors.
 * If so, the login pauses: its state is kept under a new mfa_token and the
 * client hears 403 `mfa_required` with what the user can do (challenge an
 * active factor, or enroll one). A refresh never asks again.
 */
export const mfaDecide: LoginStep = {
  name: 'mfa.decide',
  async run(ctx: LoginContext) {
    if (ctx.protocol !== 'oauth2-password') return;
    const guardian = await guardianSettings(ctx.rt);
    const forMfaApi = ctx.api?.identifier === mfaAudience(ctx.rt);
    if (!guardian.always && !ctx.multifactor && !forMfaApi) return;
    const auths = await listAuthenticators(ctx.rt.store.db, ctx.user!.user_id);
    // A user without a factor may get an MFA API token to enroll the first one.
    if (!guardian.always && !ctx.multifactor && !isEnrolled(auths)) return;
    if (guardian.enabled.length === 0) throw mfaErrors.noFactorsEnabled();
    if (!Object.values(MFA_GRANTS).some((g) => ctx.client.grant_types.includes(g)))
      throw mfaErrors.clientCannotMfa();
    const active = auths.filter((a) => a.active === 1 && a.type !== 'recovery-code');
    const requirements =
      active.length > 0
        ? { challenge: [...new Set(active.map((a) => a.type))].map((type) => ({ type })) }
        : { enroll: guardian.enabled.filter((f) => f !== 'recovery-code').map((type) => ({ type })) };
    const mfaToken = await startMfaTransaction(ctx.rt, snapshotLogin(ctx));
    ctx.failure = 'mfa-required';
    throw errors.mfaRequired(mfaToken, requirements);
  },
};
