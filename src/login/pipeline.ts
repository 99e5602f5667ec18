import { recordEvent } from '../events/log.js';
import { CodedError } from '../errors/index.js';
import type { TokenResponse } from '../tokens/tokens.js';
import { eventFields } from '../login-types/event-fields.js';
import { failureAuditCode } from '../login-types/failure.js';
import type { LoginContext, LoginStep } from './context.js';
import { authzLoad } from './steps/authz-load.js';
import { breachedCheck } from './steps/breached-check.js';
import { identityVerify } from './steps/identity-verify.js';
import { metadataWrite } from './steps/metadata-write.js';
import { mfaDecide } from './steps/mfa-decide.js';
import { protectionPrecheck } from './steps/protection-precheck.js';
import { protectionRecord } from './steps/protection-record.js';
import { refreshRedeem } from './steps/refresh-redeem.js';
import { rulesRun } from './steps/rules-run.js';
import { tokensIssue } from './steps/tokens-issue.js';
import { eventsLog } from './steps/events-log.js';

/**
 * The password login, as an ordered list of small named steps. Every
 * entrance runs this list or a part of it (the MFA grants MFA_LOGIN, the
 * refresh grant REFRESH_LOGIN): a step is never copied into a grant.
 */
export const PASSWORD_LOGIN: readonly LoginStep[] = [
  protectionPrecheck,
  identityVerify,
  protectionRecord,
  breachedCheck,
  authzLoad,
  rulesRun,
  mfaDecide,
  metadataWrite,
  tokensIssue,
  eventsLog,
];

/** The second half of a login paused by MFA, once the factor is verified. */
export const MFA_LOGIN: readonly LoginStep[] = [metadataWrite, tokensIssue, eventsLog];

/**
 * A refresh: the user was authenticated at the family's first login. The
 * token is used up last, after the rules and the signing, together with the
 * audit record of the success (refresh.redeem writes both in one transaction).
 */
export const REFRESH_LOGIN: readonly LoginStep[] = [
  authzLoad,
  rulesRun,
  metadataWrite,
  tokensIssue,
  refreshRedeem,
];

/**
 * Runs the steps in order. When one fails, the `onFailure` of that step and
 * of every step before it runs (the latest first: each settles what its own
 * step left, e.g. protection.precheck counts a wrong password); then the
 * failure is recorded in the audit log, with the code of its kind
 * (login-types/failure.ts) or the entrance's, and rethrown. A login whose
 * password was right is counted on its user with its audit event, success
 * or failure, in one write (ctx.loginCount).
 */
export async function runLogin(
  ctx: LoginContext,
  steps: readonly LoginStep[] = PASSWORD_LOGIN,
): Promise<TokenResponse> {
  let reached = 0;
  try {
    for (; reached < steps.length; reached++) await steps[reached]!.run(ctx);
  } catch (err) {
    await settleFailure(ctx, steps.slice(0, reached + 1).reverse(), err);
    const description = err instanceof CodedError ? err.message : 'internal error';
    const fields = eventFields(ctx);
    // The audit log (for admins) also keeps the internal reason, e.g. which rule failed and why.
    const reason = err instanceof CodedError ? err.detail : undefined;
    // A login refused after its password check (a rule, MFA) still counts on the user, in this write.
    await recordEvent(
      ctx.rt,
      {
        type: failureAuditCode(ctx),
        description,
        ...fields,
        details: reason ? { ...fields.details, reason } : fields.details,
      },
      undefined,
      ctx.loginCount,
    );
    throw err;
  }
  if (!ctx.response) throw new Error('the login pipeline ended without a token response');
  return ctx.response;
}

/** Runs the steps' failure halves; one that throws is logged and the others still run. */
async function settleFailure(ctx: LoginContext, steps: readonly LoginStep[], err: unknown): Promise<void> {
  for (const step of steps) {
    if (!step.onFailure) continue;
    try {
      await step.onFailure(ctx, err);
    } catch (failure) {
      // The login's own error is what the client must see.
      ctx.rt.log.error({ err: failure, step: step.name }, 'a login step could not settle a failed login');
    }
  }
}
