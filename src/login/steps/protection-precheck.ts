import type { LoginContext, LoginStep } from '../context.js';

/**
 * Before the password is checked: refuses a throttled IP or a blocked
 * identifier (429, the password is not even looked at), and counts the
 * attempt while it is in flight. If the login then fails, the attempt is
 * settled here: a wrong password or unknown user keeps its count (blocking
 * at the limit), any other failure gives the reservation back (a no-op once
 * protection.record settled it as a success).
 */
export const protectionPrecheck: LoginStep = {
  name: 'protection.precheck',
  async run(ctx: LoginContext) {
    ctx.protection = await ctx.rt.protection.begin(ctx);
  },
  async onFailure(ctx: LoginContext) {
    await ctx.protection?.failed();
  },
};
