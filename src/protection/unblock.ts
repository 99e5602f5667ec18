import type { Runtime } from '../runtime.js';
import { useTicket } from '../store/repos/blocks.js';

/** What became of an unblock link: its block lifted, or why not. */
export type UnblockOutcome = 'done' | 'invalid' | 'expired' | 'used';

/**
 * Redeems the ticket of a brute-force email's unblock link: signed, not
 * expired, and used once (its id is recorded before the block is lifted).
 */
export async function redeemUnblockTicket(rt: Runtime, ticket: string, ip: string): Promise<UnblockOutcome> {
  const now = rt.now();
  const check = await rt.protection.tickets.verify(ticket, now);
  if (!check.ok) return check.reason;
  const { payload } = check;
  if (!(await useTicket(rt.store.db, payload.j, now, payload.e))) return 'used';
  await rt.protection.liftBlock(rt, payload.b, ip, 'Unblocked by the link in the email');
  return 'done';
}
