import { orderResponse } from '../../oauth/tokens.js';
import type { LoginContext, LoginStep } from '../context.js';

/**
 * Uses the presented refresh token up, last, once the rules passed and the
 * new tokens are signed: a refresh that fails for any other reason (a rule
 * whose API is down, no signing key, a crash) leaves the token as it was, so
 * the client's retry is not mistaken for reuse. The rotation itself is one
 * conditional UPDATE: of racing requests exactly one rotates.
 */
export const refreshRedeem: LoginStep = {
  name: 'refresh.redeem',
  async run(ctx: LoginContext) {
    if (ctx.refresh?.mode !== 'redeem') return;
    if (!ctx.response) throw new Error('refresh.redeem ran before tokens.issue');
    const successor = await ctx.refresh.ticket.redeem();
    if (successor) ctx.response = orderResponse({ ...ctx.response, refresh_token: successor });
  },
};
