import type { Action } from '../../schemas/action.js';
import type { Store } from '../../store/db.js';
import { type ListSection, putItem, updateItem } from './sections.js';

/** The tenant file's `actions` (unique by name; ids `act_…` derived from the name, kept through a rename). */
export const ACTIONS: ListSection<Action> = {
  key: 'actions',
  keyOf: (a) => a.name,
  idPrefix: 'act_',
  what: 'action',
};

/** An action's fields in Auth0's shape, as the Management API takes them. */
export interface ActionInput {
  name?: string;
  supported_triggers?: { id: string; version?: string }[];
  code?: string;
  /** A secret without `value` keeps its stored value. */
  secrets?: { name: string; value?: string }[];
  runtime?: string;
  dependencies?: unknown[];
  enabled?: boolean;
  order?: number;
}

/** The tenant file's action for Auth0's fields, over `old` (an update) when given. */
export function actionOf(input: ActionInput, old?: Action): Action {
  const action: Record<string, unknown> = { ...old };
  if (input.name !== undefined) action.name = input.name;
  if (input.code !== undefined) action.code = input.code;
  if (input.supported_triggers?.[0]) action.trigger = input.supported_triggers[0].id;
  if (input.enabled !== undefined) action.enabled = input.enabled;
  if (input.order !== undefined) action.order = input.order;
  if (input.secrets !== undefined) {
    const secrets: Record<string, string> = {};
    for (const s of input.secrets) {
      const value = s.value ?? old?.secrets?.[s.name];
      if (value !== undefined) secrets[s.name] = value;
    }
    if (input.secrets.length > 0) action.secrets = secrets;
    else delete action.secrets;
  }
  return action as Action;
}

/** An action in Auth0's JSON shape (secret names only, never values). */
export function actionView(id: string, a: Action) {
  return {
    id,
    name: a.name,
    supported_triggers: [{ id: a.trigger, version: 'v3' }],
    code: a.code,
    dependencies: [],
    runtime: 'node18',
    secrets: Object.keys(a.secrets ?? {}).map((name) => ({ name })),
    status: 'built',
    all_changes_deployed: true,
    enabled: a.enabled !== false,
    ...(a.order === undefined ? {} : { order: a.order }),
  };
}

/**
 * Creates an action through apply (409 when the name is taken). It is not
 * bound to the trigger unless `enabled` says so: as in Auth0, a created
 * action runs only once bound (action-bindings.ts).
 */
export function createActionObject(store: Store, input: ActionInput, now: number) {
  return putItem(store, ACTIONS, actionOf({ ...input, enabled: input.enabled ?? false }), now);
}

/** Changes an action through apply (a rename keeps the id: sections.ts). */
export function updateActionObject(store: Store, id: string, input: ActionInput, now: number) {
  return updateItem(store, ACTIONS, id, (old) => actionOf(input, old), now);
}
