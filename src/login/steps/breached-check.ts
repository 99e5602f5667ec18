import type { LoginContext, LoginStep } from '../context.js';

/**
 * Breached password detection, once the password proved right: a password
 * in the corpus (looked up by protection.precheck, alongside the hash check)
 * is reported and, with the `block` shield, refused (401 `password_leaked`,
 * audited `pwd_leak`). Only a password login has a password to check.
 */
export const breachedCheck: LoginStep = {
  name: 'breached.check',
  async run(ctx: LoginContext) {
    await ctx.protection?.checkBreached();
  },
};
