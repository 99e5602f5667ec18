import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { DEFAULT_URL_LIFETIME_S, templateSetting } from '../notify/templates.js';
import { findTicketByHash, insertTicket, purgeTickets, type TicketRow } from '../store/repos/tickets.js';
import { findUserById, type UserWithSecret } from '../store/repos/users.js';
import type { Database } from '../store/schema.js';
import { DEFAULTS } from '../config/defaults.js';

/**
 * The tickets of the reset and verification links: 32 random bytes
 * (base64url) in the link, only their SHA-256 in the database. A ticket
 * works once, until it expires, and only while the user's password is the
 * one it was issued under (any later password change kills it).
 */
export type TicketKind = TicketRow['kind'];

/** The page each kind of link opens, under the issuer (Auth0's paths). */
export const TICKET_PATHS: Record<TicketKind, string> = { reset: 'lo/reset', verify: 'lo/verify_email' };
const TEMPLATE: Record<TicketKind, 'reset_email' | 'verify_email'> = {
  reset: 'reset_email',
  verify: 'verify_email',
};

const KEEP_EXPIRED_MS = DEFAULTS.tickets.keepExpiredMs;
const TICKET_FORMAT = /^[A-Za-z0-9_-]{43}$/;

export function ticketHash(ticket: string): string {
  return createHash('sha256').update(ticket).digest('hex');
}

/** A fingerprint of the current password hash: it changes with every password change. */
export function passwordFingerprint(passwordHash: string | null): string {
  return createHash('sha256')
    .update(passwordHash ?? '')
    .digest('hex');
}

export function ticketUrl(issuer: string, kind: TicketKind, ticket: string): string {
  return `${issuer}${TICKET_PATHS[kind]}?ticket=${ticket}`;
}

/** The lifetime of a kind of link, from its email template's `urlLifetimeInSeconds` (default 5 days). */
export async function ticketLifetimeS(db: Kysely<Database>, kind: TicketKind): Promise<number> {
  return (await templateSetting(db, TEMPLATE[kind])).urlLifetimeInSeconds ?? DEFAULT_URL_LIFETIME_S;
}

/** Issues a ticket for a user; returns the ticket (the only copy) for the link. */
export async function issueTicket(
  db: Kysely<Database>,
  kind: TicketKind,
  user: UserWithSecret,
  now: number,
  opts: { clientId?: string; ttlS?: number; resultUrl?: string; markVerified?: boolean } = {},
): Promise<string> {
  const ticket = randomBytes(32).toString('base64url');
  const ttlS = opts.ttlS ?? (await ticketLifetimeS(db, kind));
  await insertTicket(db, {
    id: `tkt_${randomUUID()}`,
    hash: ticketHash(ticket),
    kind,
    user_id: user.user_id,
    connection_id: user.connection_id,
    email: user.email,
    password_fp: passwordFingerprint(user.password_hash),
    client_id: opts.clientId ?? null,
    created_at: now,
    expires_at: now + ttlS * 1000,
    used_at: null,
    ...(opts.resultUrl !== undefined ? { result_url: opts.resultUrl } : {}),
    ...(opts.markVerified !== undefined ? { mark_verified: opts.markVerified ? 1 : 0 } : {}),
  });
  // Tickets expired for a month are forgotten (until then a late click still reads "expired").
  await purgeTickets(db, now - KEEP_EXPIRED_MS);
  return ticket;
}

export type TicketProblem = 'invalid' | 'expired' | 'used' | 'superseded';
export type OpenTicket =
  | { ok: true; row: TicketRow; user: UserWithSecret }
  | { ok: false; reason: TicketProblem; row?: TicketRow };

/** Looks a ticket up without using it: what the page may do with it. */
export async function openTicket(
  db: Kysely<Database>,
  kind: TicketKind,
  ticket: unknown,
  now: number,
): Promise<OpenTicket> {
  if (typeof ticket !== 'string' || !TICKET_FORMAT.test(ticket)) return { ok: false, reason: 'invalid' };
  const row = await findTicketByHash(db, ticketHash(ticket));
  if (!row || row.kind !== kind) return { ok: false, reason: 'invalid' };
  if (row.used_at !== null) return { ok: false, reason: 'used', row };
  if (row.expires_at <= now) return { ok: false, reason: 'expired', row };
  const user = await findUserById(db, row.user_id);
  if (!user || user.connection_id !== row.connection_id) return { ok: false, reason: 'invalid', row };
  if (passwordFingerprint(user.password_hash) !== row.password_fp)
    return { ok: false, reason: 'superseded', row };
  if (kind === 'verify' && (user.email ?? '').toLowerCase() !== (row.email ?? '').toLowerCase()) {
    return { ok: false, reason: 'superseded', row };
  }
  return { ok: true, row, user };
}
