import type { LoginContext } from '../login-types/context.js';
import type { Runtime } from '../runtime.js';
import { errors } from '../errors/index.js';
import { applyMetadataEffects, applyRuleContext, isObject } from './effects.js';
import type { RunEnv } from './engine.js';
import { executeInLogin } from './execute.js';
import { ruleContext, scriptUser } from './inputs.js';
import { wrapRule } from './sandbox-source.js';
import { cut, type RuleDef, type ScriptId } from './types.js';

/**
 * Runs the rules in order, Auth0 style: `function (user, context, callback)`,
 * each getting the user and context the previous one called back with.
 * The first `UnauthorizedError` or redirect ends the login; claims, scopes
 * and a multifactor request are applied to the login after each rule.
 */
export async function runRules(ctx: LoginContext<Runtime>, rules: RuleDef[], env: RunEnv): Promise<void> {
  if (!ctx.user) throw new Error('rules.run ran without an authenticated user');
  let user: Record<string, unknown> = scriptUser(ctx, ctx.user);
  let context = ruleContext(ctx, env.tenant);
  for (const rule of rules) {
    const id: ScriptId = { kind: 'rule', name: rule.name };
    const input = { kind: 'rule', user, context, configuration: env.configuration };
    const state = await executeInLogin(env, id, wrapRule(rule.script), input);
    if (state.status === 'unauthorized') {
      throw errors.ruleUnauthorized(cut(state.message ?? '', env.policy.limits.maxMessageChars));
    }
    if (isObject(state.user)) user = state.user;
    applyMetadataEffects(ctx, id, state.effects);
    context = applyRuleContext(ctx, id, isObject(state.context) ? state.context : context, env.policy.limits);
  }
}
