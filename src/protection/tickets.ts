import { createHmac, hkdfSync, randomUUID, timingSafeEqual } from 'node:crypto';
import { DEFAULTS } from '../config/defaults.js';

/** How long an unblock link works. */
export const TICKET_TTL_MS = DEFAULTS.tickets.unblockTtlMs;

export interface TicketPayload {
  /** The block the ticket lifts. */
  b: string;
  /** The user it was sent to. */
  u: string | null;
  /** Expiry, epoch ms. */
  e: number;
  /** The ticket's id, recorded when used (single use). */
  j: string;
}

export type TicketCheck = { ok: true; payload: TicketPayload } | { ok: false; reason: 'invalid' | 'expired' };

/**
 * The signed tickets of the unblock links: `base64url(JSON).base64url(HMAC-SHA256)`,
 * with a key derived from the server secret (HKDF) for this use only.
 */
export class UnblockTickets {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'tessera', 'unblock-ticket v1', 32));
  }

  issue(blockId: string, userId: string | null, now: number): string {
    const payload: TicketPayload = { b: blockId, u: userId, e: now + TICKET_TTL_MS, j: randomUUID() };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.sign(body).toString('base64url')}`;
  }

  verify(ticket: string, now: number): TicketCheck {
    const [body, sig, extra] = ticket.split('.');
    if (!body || !sig || extra !== undefined) return { ok: false, reason: 'invalid' };
    const expected = this.sign(body);
    const given = Buffer.from(sig, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, reason: 'invalid' };
    }
    let payload: TicketPayload;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'invalid' };
    }
    if (typeof payload.b !== 'string' || typeof payload.e !== 'number' || typeof payload.j !== 'string') {
      return { ok: false, reason: 'invalid' };
    }
    if (payload.e <= now) return { ok: false, reason: 'expired' };
    return { ok: true, payload };
  }

  private sign(body: string): Buffer {
    return createHmac('sha256', this.key).update(body).digest();
  }
}
