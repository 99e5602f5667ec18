import type { SessionStore as Store } from '@fastify/session';
import type { Session as FastifySession } from 'fastify';
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

/** What the trusted app keeps in a session (`request.session`, from @fastify/session). */
export interface SessionData {
  user?: { username: string; realm: string };
  tokens?: Tokens;
  mfa?: PendingMfa;
  notice?: Notice;
  /** The login form's fields after sign-up or "Forgot password?". */
  prefill?: { username: string; realm: string };
}

declare module 'fastify' {
  interface Session extends SessionData {}
}

/** A stored session as tests see it: its id and its data. */
export type Session = SessionData & { id: string };

interface Entry {
  session: FastifySession;
  touchedAt: number;
}

/**
 * The session store for @fastify/session: sessions in memory (a demo: a real
 * app would use a shared store such as Redis). The id travels in a signed,
 * HttpOnly cookie; everything else, tokens included, stays here. Idle
 * sessions expire; the oldest are dropped past `max`.
 */
export class SessionStore implements Store {
  private readonly sessions = new Map<string, Entry>();
  private readonly idleMs: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(opts: { idleMs?: number; max?: number; now?: () => number } = {}) {
    this.idleMs = opts.idleMs ?? 30 * 60_000;
    this.max = opts.max ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  set(id: string, session: FastifySession, callback: (err?: unknown) => void): void {
    this.sweep();
    this.sessions.delete(id);
    // The map's order is the least recently used first.
    this.sessions.set(id, { session, touchedAt: this.now() });
    callback();
  }

  get(id: string, callback: (err: unknown, session?: FastifySession | null) => void): void {
    callback(null, this.peek(id) ?? null);
  }

  destroy(id: string, callback: (err?: unknown) => void): void {
    this.sessions.delete(id);
    callback();
  }

  /** The live session `id`, touched. */
  peek(id: string): FastifySession | undefined {
    const e = this.sessions.get(id);
    if (!e) return undefined;
    if (this.now() - e.touchedAt > this.idleMs) {
      this.sessions.delete(id);
      return undefined;
    }
    e.touchedAt = this.now();
    this.sessions.delete(id);
    this.sessions.set(id, e);
    return e.session;
  }

  /** Every live session (tests look tokens up here). */
  list(): Session[] {
    return [...this.sessions.entries()].map(([id, e]) => ({
      id,
      user: e.session.user,
      tokens: e.session.tokens,
      mfa: e.session.mfa,
      notice: e.session.notice,
    }));
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, e] of this.sessions) {
      if (now - e.touchedAt > this.idleMs || this.sessions.size >= this.max) this.sessions.delete(id);
      else break;
    }
  }
}
