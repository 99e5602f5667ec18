import type { Runtime } from '../runtime.js';
import { findConnectionById } from '../store/repos/connections.js';
import { getTenantSettings } from '../store/repos/settings.js';
import { type ClientPolicy, clientPolicy, explainPolicy, type Rule } from './password-rules.js';
import { openTicket, type TicketProblem } from './tickets.js';

/** What the reset page shows for a ticket, or why it does not open. */
export type ResetForm =
  | { ok: true; account: string | null; rules: Rule[]; policy: ClientPolicy }
  | { ok: false; reason: TicketProblem };

/**
 * Opens a reset ticket without using it: the account it is for and its
 * directory's password policy (explained, and as the page checks it while
 * the user types).
 */
export async function openResetForm(rt: Runtime, ticket: string): Promise<ResetForm> {
  const opened = await openTicket(rt.store.db, 'reset', ticket, rt.now());
  if (!opened.ok) return { ok: false, reason: opened.reason };
  const conn = (await findConnectionById(rt.store.db, opened.user.connection_id)) ?? {};
  return {
    ok: true,
    account: opened.user.email ?? opened.user.username,
    rules: explainPolicy(conn),
    policy: clientPolicy(conn),
  };
}

/** The tenant's name as the pages show it (`friendly_name`, else Tessera). */
export async function tenantName(rt: Runtime): Promise<string> {
  return (await getTenantSettings(rt.store.db)).friendly_name ?? 'Tessera';
}
