import type { LoginContext, LoginStep } from '../context.js';

/**
 * After a successful password check: forgets the failures of this
 * identifier and IP. (A failure is settled by protection.precheck's
 * onFailure; breached passwords are breached.check's.)
 */
export const protectionRecord: LoginStep = {
  name: 'protection.record',
  async run(ctx: LoginContext) {
    await ctx.protection?.succeeded();
  },
};
