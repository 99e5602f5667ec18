import type { LoginContext } from '../login-types/context.js';
import type { Runtime } from '../runtime.js';
import { applyActionEffects } from './effects.js';
import type { RunEnv } from './engine.js';
import { executeInLogin } from './execute.js';
import { actionEvent, scriptUser } from './inputs.js';
import { wrapAction } from './sandbox-source.js';
import type { ActionDef, ScriptId } from './types.js';

/**
 * Runs the post-login actions in order: `exports.onExecutePostLogin =
 * async (event, api) => {}`. An action's `api` calls take effect once its
 * promise settles; `api.access.deny` or a redirect ends the login there.
 */
export async function runActions(
  ctx: LoginContext<Runtime>,
  actions: ActionDef[],
  env: RunEnv,
): Promise<void> {
  if (!ctx.user) throw new Error('rules.run ran without an authenticated user');
  const user = scriptUser(ctx, ctx.user);
  for (const action of actions) {
    const id: ScriptId = { kind: 'action', name: action.name };
    const event = actionEvent(ctx, user, env.tenant, action.secrets ?? {});
    const state = await executeInLogin(env, id, wrapAction(action.code), { kind: 'action', event });
    applyActionEffects(ctx, id, state.effects, env.policy.limits);
  }
}
