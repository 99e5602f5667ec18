import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { getSetting } from '../store/repos/settings.js';
import type { ActionDef, LoginScripts, RuleDef } from './types.js';

/**
 * The enabled rules and post-login actions, each in `order` (file order
 * among equals; a missing `enabled` means enabled, as in Auth0). Undefined
 * when there are none: the hot path stops here without touching the
 * sandbox. Settings reads are cached (store/config-cache), and a changed
 * rule is seen by the next login.
 */
export async function loadLoginScripts(db: Kysely<Database>): Promise<LoginScripts | undefined> {
  const [rules, actions] = await Promise.all([
    getSetting<RuleDef[]>(db, 'rules'),
    getSetting<ActionDef[]>(db, 'actions'),
  ]);
  if (!rules?.length && !actions?.length) return undefined;
  const enabledRules = inOrder((rules ?? []).filter((r) => r.enabled !== false));
  const enabledActions = boundActions(actions ?? []);
  if (enabledRules.length === 0 && enabledActions.length === 0) return undefined;
  return { rules: enabledRules, actions: enabledActions };
}

/**
 * The actions a login runs (post-login, not disabled), in their running
 * order: what the Management API calls the trigger's bindings.
 */
export function boundActions<T extends Pick<ActionDef, 'enabled' | 'trigger' | 'order'>>(
  actions: readonly T[],
): T[] {
  return inOrder(actions.filter((a) => a.enabled !== false && a.trigger === 'post-login'));
}

function inOrder<T extends { order?: number }>(items: readonly T[]): T[] {
  // Array.prototype.sort is stable: equal orders keep their file order.
  return [...items].sort(
    (a, b) => (a.order ?? Number.MAX_SAFE_INTEGER) - (b.order ?? Number.MAX_SAFE_INTEGER),
  );
}
