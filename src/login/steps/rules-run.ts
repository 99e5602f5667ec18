import { errors } from '../../errors/index.js';
import { loadLoginScripts } from '../../rules/load.js';
import type { LoginContext, LoginStep } from '../context.js';

/**
 * Runs the tenant's rules, then its post-login actions, in the isolated-vm
 * sandbox (src/rules). A login with neither costs two cached settings reads:
 * the sandbox module (and isolated-vm) is only loaded when there is a script.
 */
/** The sandbox module, imported on the first login with a script (then the same promise). */
let engine: Promise<typeof import('../../rules/engine.js')> | undefined;

export const rulesRun: LoginStep = {
  name: 'rules.run',
  async run(ctx: LoginContext) {
    const scripts = await loadLoginScripts(ctx.rt.store.db);
    if (scripts) {
      engine ??= import('../../rules/engine.js');
      const { runLoginScripts } = await engine;
      await runLoginScripts(ctx, scripts);
    }
    refuseUnhandledMfa(ctx);
  },
};

/**
 * A rule or action that asked for MFA (`context.multifactor`,
 * `api.multifactor.enable`) must never let a login through without it. On
 * password logins mfa.decide (after this step in PASSWORD_LOGIN) turns
 * `ctx.multifactor` into `mfa_required`; a refresh has no second factor to
 * ask for (as with Auth0, MFA is never asked again on refresh), so there the
 * login is refused rather than let through.
 */
export function refuseUnhandledMfa(ctx: LoginContext): void {
  if (ctx.multifactor && ctx.protocol !== 'oauth2-password') {
    throw errors.accessDenied(
      'Multifactor authentication was requested by a rule but MFA is not configured on this server',
    );
  }
}
