import { managementErrors } from '../../errors/index.js';
import { boundActions } from '../../rules/load.js';
import type { Action } from '../../schemas/action.js';
import type { Store } from '../../store/db.js';
import { ACTIONS, actionView } from './actions.js';
import { listItems, removeItem, rewriteItems, type WithId } from './sections.js';

/** The one trigger Tessera runs actions at. */
export const POST_LOGIN = 'post-login';

/** How a binding names its action (Auth0's `ref`). */
export interface BindingRef {
  type: 'binding_id' | 'action_id' | 'action_name';
  value: string;
}

/**
 * A binding's id. An action is bound to the one trigger at most once, so a
 * binding is its action's `enabled` and `order` in the tenant file, and its
 * id follows the action's: `act_X` is bound as `bnd_X`.
 */
export function bindingId(actionId: string): string {
  const prefix = ACTIONS.idPrefix!;
  return `bnd_${actionId.startsWith(prefix) ? actionId.slice(prefix.length) : actionId}`;
}

/** A binding in Auth0's JSON shape. */
export function bindingView(a: WithId<Action>) {
  return {
    id: bindingId(a.id),
    trigger_id: POST_LOGIN,
    display_name: a.item.name,
    action: actionView(a.id, a.item),
  };
}

/** The bound actions (the ones logins run) in their running order, as loadLoginScripts runs them. */
function inRunningOrder(items: WithId<Action>[]): WithId<Action>[] {
  const byItem = new Map(items.map((x) => [x.item, x]));
  return boundActions(items.map((x) => x.item)).map((a) => byItem.get(a)!);
}

/** The post-login trigger's bindings, in running order. */
export async function listBindings(store: Store): Promise<WithId<Action>[]> {
  return inRunningOrder(await listItems(store, ACTIONS));
}

/**
 * Binds exactly the actions `refs` name, in that order, and unbinds every
 * other (as Auth0's PATCH of a trigger's bindings, which replaces them all):
 * a bound action gets `enabled: true` and `order` its place, an unbound one
 * `enabled: false` and no order. One write through apply; a ref that names
 * no action, or an action named twice, is a 400 and nothing is written.
 */
export async function setBindings(store: Store, refs: BindingRef[], now: number): Promise<WithId<Action>[]> {
  const items = await rewriteItems(
    store,
    ACTIONS,
    (items) => {
      const chosen = refs.map((ref, i) => {
        const found = items.find((x) => refers(x, ref));
        if (!found) throw refused(i, `no ${NOUN[ref.type]} "${ref.value}"`);
        return found;
      });
      chosen.forEach((x, i) => {
        if (chosen.indexOf(x) !== i) throw refused(i, `action "${x.item.name}" is bound twice`);
      });
      return items.map((x) => {
        const { order: _order, ...action } = x.item;
        const at = chosen.indexOf(x);
        return at >= 0 ? { ...action, enabled: true, order: at } : { ...action, enabled: false };
      });
    },
    now,
  );
  return inRunningOrder(items);
}

/**
 * Deletes an action; a bound one only with `force` (its binding goes with
 * it), as in Auth0: else 409, and nothing is deleted.
 */
export function deleteActionObject(store: Store, id: string, now: number, force: boolean): Promise<void> {
  return removeItem(store, ACTIONS, id, now, (action) => {
    if (!force && boundActions([action]).length > 0) {
      throw managementErrors.conflict(
        `The action is bound to the ${POST_LOGIN} trigger: unbind it (PATCH /actions/triggers/${POST_LOGIN}/bindings) or delete it with force=true.`,
      );
    }
  });
}

const NOUN: Record<BindingRef['type'], string> = {
  binding_id: 'binding with id',
  action_id: 'action with id',
  action_name: 'action named',
};

function refers(x: WithId<Action>, ref: BindingRef): boolean {
  if (ref.type === 'action_name') return x.item.name === ref.value;
  if (ref.type === 'action_id') return x.id === ref.value;
  return bindingId(x.id) === ref.value;
}

function refused(index: number, why: string) {
  return managementErrors.invalidBody(`Payload validation error: bindings[${index}].ref: ${why}`);
}
