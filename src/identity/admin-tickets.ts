import type { Runtime } from '../runtime.js';
import { findConnectionById } from '../store/repos/connections.js';
import { findUserById, findUsersByIdentifiers, type UserWithSecret } from '../store/repos/users.js';
import { issueTicket, type TicketKind, ticketLifetimeS, ticketUrl } from './tickets.js';
import { UserError } from './users.js';

/** A ticket an administrator asks for (`POST /api/v2/tickets/…`, `tessera tickets …`). */
export interface TicketRequest {
  /** The user, by user_id; or by `email` in the connection `connectionId`. */
  userId?: string;
  email?: string;
  connectionId?: string;
  /** Where the page links to afterwards (else the email template's resultUrl). */
  resultUrl?: string;
  /** Lifetime; 0 or none: the email template's urlLifetimeInSeconds (default 5 days). */
  ttlS?: number;
  /** Reset tickets: whether the change marks the email verified (Auth0's default: no). */
  markEmailVerified?: boolean;
  /** Adds `email=` (the user's address) to the result URL. */
  includeEmailInRedirect?: boolean;
  clientId?: string;
}

async function ticketUser(rt: Runtime, r: TicketRequest): Promise<UserWithSecret> {
  const db = rt.store.db;
  if (r.userId !== undefined) {
    const user = await findUserById(db, r.userId);
    if (!user) throw new UserError('not_found', 'The user does not exist.');
    return user;
  }
  if (r.email === undefined || r.connectionId === undefined)
    throw new UserError('invalid', 'Payload validation error: give user_id, or email and connection_id');
  const conn = await findConnectionById(db, r.connectionId);
  if (!conn)
    throw new UserError(
      'invalid',
      `Payload validation error: connection_id: no connection "${r.connectionId}"`,
    );
  const lower = r.email.toLowerCase();
  const [user] = (await findUsersByIdentifiers(db, conn.id, [r.email])).filter(
    (u) => u.email?.toLowerCase() === lower,
  );
  if (!user) throw new UserError('not_found', 'The user does not exist.');
  return user;
}

function withEmail(url: string, email: string): string {
  const u = new URL(url);
  u.searchParams.set('email', email);
  return u.toString();
}

/**
 * Issues a single-use link for a user: `reset` opens `<issuer>lo/reset`,
 * `verify` opens `<issuer>lo/verify_email` (the pages the emails link to).
 * Returns its URL, the only copy of the ticket.
 */
export async function createTicket(rt: Runtime, kind: TicketKind, r: TicketRequest): Promise<string> {
  const user = await ticketUser(rt, r);
  if (kind === 'verify' && !user.email)
    throw new UserError('invalid', 'The user has no email address to verify.');
  const ttlS = r.ttlS ? r.ttlS : await ticketLifetimeS(rt.store.db, kind);
  let resultUrl = r.resultUrl;
  if (resultUrl && r.includeEmailInRedirect && user.email) resultUrl = withEmail(resultUrl, user.email);
  const ticket = await issueTicket(rt.store.db, kind, user, rt.now(), {
    ttlS,
    clientId: r.clientId,
    resultUrl,
    markVerified: kind === 'reset' ? r.markEmailVerified === true : undefined,
  });
  return ticketUrl(rt.config.issuer, kind, ticket);
}
