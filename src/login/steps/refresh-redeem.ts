import { orderResponse } from '../../tokens/tokens.js';
import type { LoginContext, LoginStep } from '../context.js';
import { eventFields } from '../../login-types/event-fields.js';

/**
 * Uses the presented refresh token up, last, once the rules passed and the
 * new tokens are signed: a refresh that fails for any other reason (a rule
 * whose API is down, no signing key, a crash) leaves the token as it was, so
 * the client's retry is not mistaken for reuse. The rotation itself is one
 * conditional UPDATE: of racing requests exactly one rotates. The success's
 * audit event (events.log's, which REFRESH_LOGIN therefore does not run) is
 * written atomically with the rotation (on PostgreSQL in the same statement):
 * no rotation goes unrecorded.
 */
export const refreshRedeem: LoginStep = {
  name: 'refresh.redeem',
  async run(ctx: LoginContext) {
    if (ctx.refresh?.mode !== 'redeem') return;
    if (!ctx.response) throw new Error('refresh.redeem ran before tokens.issue');
    const successor = await ctx.refresh.ticket.redeem({
      type: ctx.successEvent,
      description: null,
      ...eventFields(ctx),
    });
    if (successor) ctx.response = orderResponse({ ...ctx.response, refresh_token: successor });
  },
};
