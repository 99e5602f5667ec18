import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { MfaRequirements } from './tessera.js';

/** A one-time message shown on the next page. */
export interface Notice {
  kind: 'notice' | 'error';
  title?: string;
  text: string;
  /** A code to show in a code box (a new recovery code). */
  code?: string;
}

/** A login paused by Tessera's `mfa_required`: the mfa_token stays here, never in a page. */
export interface PendingMfa {
  mfaToken: string;
  username: string;
  realm: string;
  requirements: MfaRequirements;
  startedAt: number;
  /** After /mfa/associate: what to show while the first code is awaited. */
  enrollment?:
    | { type: 'otp'; secret: string; qrDataUrl: string; recoveryCode?: string }
    | { type: 'oob'; channel: 'email' | 'sms'; oobCode: string; recoveryCode?: string };
  /** After /mfa/challenge for an SMS or email authenticator. */
  oob?: { channel: string; oobCode: string; name?: string };
}

export interface Tokens {
  accessToken: string;
  refreshToken?: string;
  /** Epoch ms at which the access token expires. */
  expiresAt: number;
  scope?: string;
  issuedAt: number;
  refreshCount: number;
}

export interface Session {
  id: string;
  /** The CSRF token every form of this session carries. */
  csrf: string;
  touchedAt: number;
  user?: { username: string; realm: string };
  tokens?: Tokens;
  mfa?: PendingMfa;
  notice?: Notice;
  /** A refresh in flight: concurrent pages wait for it instead of exchanging the token twice. */
  refreshing?: Promise<void>;
}

const newId = () => randomBytes(32).toString('base64url');

/**
 * Sessions in memory (a demo: a real app would use a shared store). The id
 * travels in a signed, HttpOnly cookie; everything else, tokens included,
 * stays here. Idle sessions expire; the oldest are dropped past `max`.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly idleMs: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(opts: { idleMs?: number; max?: number; now?: () => number } = {}) {
    this.idleMs = opts.idleMs ?? 30 * 60_000;
    this.max = opts.max ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  create(): Session {
    this.sweep();
    const s: Session = { id: newId(), csrf: newId(), touchedAt: this.now() };
    this.sessions.set(s.id, s);
    return s;
  }

  get(id: string): Session | undefined {
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (this.now() - s.touchedAt > this.idleMs) {
      this.sessions.delete(id);
      return undefined;
    }
    s.touchedAt = this.now();
    // Re-insert: the map's order is the least recently used first.
    this.sessions.delete(id);
    this.sessions.set(id, s);
    return s;
  }

  /** A new id and CSRF token for the same session (at sign-in: no session fixation). */
  rotate(s: Session): Session {
    this.sessions.delete(s.id);
    s.id = newId();
    s.csrf = newId();
    this.sessions.set(s.id, s);
    return s;
  }

  destroy(id: string): void {
    this.sessions.delete(id);
  }

  /** Every live session (tests look tokens up here). */
  list(): Session[] {
    return [...this.sessions.values()];
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, s] of this.sessions) {
      if (now - s.touchedAt > this.idleMs || this.sessions.size >= this.max) this.sessions.delete(id);
      else break;
    }
  }
}

/** Compares a submitted CSRF token with the session's, in constant time. */
export function csrfMatches(session: Session, submitted: unknown): boolean {
  if (typeof submitted !== 'string') return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(submitted);
  return a.length === b.length && timingSafeEqual(a, b);
}
