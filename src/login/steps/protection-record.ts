import type { LoginContext, LoginStep } from '../context.js';

/**
 * After a successful password check: forgets the failures of this identifier
 * and IP, then applies breached password detection (which may refuse the
 * login). Failures are settled by runLogin, which sees every error.
 */
export const protectionRecord: LoginStep = {
  name: 'protection.record',
  async run(ctx: LoginContext) {
    await ctx.protection?.succeeded();
  },
};
