import type { LoginContext, LoginStep } from '../context.js';

/**
 * Before the password is checked: refuses a throttled IP or a blocked
 * identifier (429, the password is not even looked at), and counts the
 * attempt while it is in flight.
 */
export const protectionPrecheck: LoginStep = {
  name: 'protection.precheck',
  async run(ctx: LoginContext) {
    ctx.protection = await ctx.rt.protection.begin(ctx);
  },
};
