import { hkdfSync, randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
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

/** The JOSE `typ` of an unblock ticket: no other JWT passes for one. */
const TYP = 'tessera-unblock+jwt';

/**
 * The signed tickets of the unblock links: HS256 JWTs (jose) whose claims
 * are the block (`b`), the user (`u`), the id (`jti`) and the expiry
 * (`exp`), with a key derived from the server secret (HKDF) for this use only.
 */
export class UnblockTickets {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    this.key = new Uint8Array(hkdfSync('sha256', secret, 'tessera', 'unblock-ticket v2', 32));
  }

  /** A ticket lifting `blockId`, valid for TICKET_TTL_MS from `now`. */
  issue(blockId: string, userId: string | null, now: number): Promise<string> {
    return new SignJWT({ b: blockId, u: userId })
      .setProtectedHeader({ alg: 'HS256', typ: TYP })
      .setJti(randomUUID())
      .setExpirationTime(Math.floor((now + TICKET_TTL_MS) / 1000))
      .sign(this.key);
  }

  /** The ticket's claims when its signature holds and it has not expired at `now`. */
  async verify(ticket: string, now: number): Promise<TicketCheck> {
    try {
      const { payload } = await jwtVerify(ticket, this.key, {
        algorithms: ['HS256'],
        typ: TYP,
        currentDate: new Date(now),
        requiredClaims: ['exp', 'jti'],
      });
      const { b, u, jti, exp } = payload;
      if (typeof b !== 'string' || (u !== null && typeof u !== 'string') || !jti || !exp)
        return { ok: false, reason: 'invalid' };
      return { ok: true, payload: { b, u, e: exp * 1000, j: jti } };
    } catch (err) {
      return { ok: false, reason: err instanceof joseErrors.JWTExpired ? 'expired' : 'invalid' };
    }
  }
}
