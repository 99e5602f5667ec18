import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Runtime } from '../runtime.js';
import type { Client } from '../store/repos/clients.js';
import {
  type RefreshTokenRow,
  consumeRefreshToken,
  findRefreshTokenByHash,
  insertRefreshToken,
  revokeFamily,
  supersedeSuccessor,
  touchRefreshToken,
} from '../store/repos/refresh-tokens.js';
import { OAuthError } from './errors.js';

/** The client's `refresh_token` settings, resolved with Auth0's defaults. */
export interface RefreshPolicy {
  rotating: boolean;
  leewayMs: number;
  /** Absolute lifetime from the family's first login; null: infinite. */
  absoluteMs: number | null;
  /** Inactivity lifetime; null: infinite. */
  idleMs: number | null;
}

/** A non-rotating token's idle expiry is slid at most once per this interval. */
export const IDLE_SLIDE_GRANULARITY_MS = 60_000;

export const REFRESH_DEFAULTS = {
  leeway: 0,
  token_lifetime: 2_592_000,
  idle_token_lifetime: 1_296_000,
} as const;

/**
 * Reads a client's refresh-token settings. Without settings a client gets
 * non-rotating tokens that expire by Auth0's default lifetimes;
 * `expiration_type: non-expiring` or the `infinite_*` flags remove a limit.
 */
export function refreshPolicy(client: Client): RefreshPolicy {
  const s = (client.refresh_token ?? {}) as Record<string, unknown>;
  const num = (v: unknown, d: number) => (typeof v === 'number' && v >= 0 ? v : d);
  const nonExpiring = s.expiration_type === 'non-expiring';
  return {
    rotating: s.rotation_type === 'rotating',
    leewayMs: num(s.leeway, REFRESH_DEFAULTS.leeway) * 1000,
    absoluteMs:
      nonExpiring || s.infinite_token_lifetime === true
        ? null
        : num(s.token_lifetime, REFRESH_DEFAULTS.token_lifetime) * 1000,
    idleMs:
      nonExpiring || s.infinite_idle_token_lifetime === true
        ? null
        : num(s.idle_token_lifetime, REFRESH_DEFAULTS.idle_token_lifetime) * 1000,
  };
}

/** The one answer to every bad refresh token, whatever was wrong with it. */
export function invalidRefreshToken(detail: string): OAuthError {
  return new OAuthError(403, 'invalid_grant', 'Unknown or invalid refresh token.', {}, {}, detail);
}

/** SHA-256 of a token, the only form stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

function newToken(): { id: string; token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { id: `rt_${randomUUID()}`, token, hash: hashToken(token) };
}

export interface FamilyGrant {
  client: Client;
  userId: string;
  connectionId: string;
  audience: string | null;
  scopes: string[];
}

/** Issues the first refresh token of a new family (a fresh login). */
export async function startFamily(rt: Runtime, grant: FamilyGrant): Promise<string> {
  const now = rt.now();
  const t = newToken();
  await insertRefreshToken(rt.store.db, {
    ...rowFor(grant.client, now, now),
    id: t.id,
    token_hash: t.hash,
    family_id: `rtf_${randomUUID()}`,
    client_id: grant.client.client_id,
    user_id: grant.userId,
    connection_id: grant.connectionId,
    audience: grant.audience,
    scope: grant.scopes.join(' '),
  });
  return t.token;
}

function rowFor(client: Client, now: number, familyCreatedAt: number) {
  const p = refreshPolicy(client);
  return {
    created_at: now,
    family_created_at: familyCreatedAt,
    last_used_at: now,
    expires_at: p.absoluteMs === null ? null : familyCreatedAt + p.absoluteMs,
    idle_expires_at: p.idleMs === null ? null : now + p.idleMs,
    rotated_at: null,
    replaced_by: null,
    revoked_at: null,
  };
}

/** A presented refresh token that passed every check but is not yet used up. */
export interface RefreshTicket {
  row: RefreshTokenRow;
  /**
   * Uses the token: rotates it (answering the successor) or, for a
   * non-rotating client, slides its idle expiry (answering undefined).
   * Throws `invalid_grant` when a racing request used it first.
   */
  redeem(): Promise<string | undefined>;
}

/**
 * Looks a presented refresh token up and checks it: known, this client's,
 * not revoked, not expired. A token already rotated away outside the
 * leeway is reuse: the whole family is revoked at once.
 */
export async function checkRefreshToken(
  rt: Runtime,
  client: Client,
  presented: string,
): Promise<RefreshTicket> {
  const db = rt.store.db;
  const now = rt.now();
  const row = await findRefreshTokenByHash(db, hashToken(presented));
  if (!row || row.client_id !== client.client_id)
    throw invalidRefreshToken("unknown token or another client's");
  if (row.revoked_at !== null) throw invalidRefreshToken('revoked');
  if (
    (row.expires_at !== null && now >= row.expires_at) ||
    (row.idle_expires_at !== null && now >= row.idle_expires_at)
  ) {
    throw invalidRefreshToken('expired');
  }
  const policy = refreshPolicy(client);
  if (!policy.rotating) {
    return {
      row,
      async redeem() {
        // Sliding the idle expiry is a write; within a minute of the last one it is skipped
        // (the expiry then lags by at most IDLE_SLIDE_GRANULARITY_MS).
        if (policy.idleMs === null || now - row.last_used_at < IDLE_SLIDE_GRANULARITY_MS) return undefined;
        if (!(await touchRefreshToken(db, row.id, now, now + policy.idleMs)))
          throw invalidRefreshToken('revoked meanwhile');
        return undefined;
      },
    };
  }
  if (row.rotated_at !== null && !withinLeeway(row, policy, now)) await reuseDetected(rt, row);
  return {
    row,
    async redeem() {
      const next = newToken();
      const won = await db.transaction().execute(async (trx) => {
        const ok =
          row.rotated_at === null
            ? await consumeRefreshToken(trx, row.id, next.id, now)
            : await supersedeSuccessor(trx, row, next.id, now);
        if (ok) {
          await insertRefreshToken(trx, {
            ...rowFor(client, now, row.family_created_at),
            id: next.id,
            token_hash: next.hash,
            family_id: row.family_id,
            client_id: row.client_id,
            user_id: row.user_id,
            connection_id: row.connection_id,
            audience: row.audience,
            scope: row.scope,
          });
        }
        return ok;
      });
      if (!won) {
        // Someone presented the same token a moment earlier: that is reuse too.
        const fresh = await findRefreshTokenByHash(db, row.token_hash);
        if (fresh && fresh.revoked_at === null && !withinLeeway(fresh, policy, now))
          await reuseDetected(rt, fresh);
        throw invalidRefreshToken('used by a concurrent request');
      }
      return next.token;
    },
  };
}

function withinLeeway(row: RefreshTokenRow, policy: RefreshPolicy, now: number): boolean {
  return policy.leewayMs > 0 && row.rotated_at !== null && now - row.rotated_at <= policy.leewayMs;
}

/** A rotated-away token came back: its family is revoked. Answers like any bad token. */
export class RefreshTokenReuse extends OAuthError {
  constructor(
    readonly userId: string,
    readonly familyId: string,
    readonly revoked: number,
  ) {
    super(403, 'invalid_grant', 'Unknown or invalid refresh token.', {}, {}, 'reuse detected');
  }
}

async function reuseDetected(rt: Runtime, row: RefreshTokenRow): Promise<never> {
  const revoked = await revokeFamily(rt.store.db, row.family_id, rt.now());
  throw new RefreshTokenReuse(row.user_id, row.family_id, revoked);
}
