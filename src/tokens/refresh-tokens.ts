import { createHash, randomBytes } from 'node:crypto';
import { recordEvent } from '../events/log.js';
import { SecretBox } from '../store/secret-box.js';
import type { Runtime } from '../runtime.js';
import type { Client } from '../store/repos/clients.js';
import { findRefreshTokenForGrant, type RefreshGrantRows } from '../store/repos/refresh-read.js';
import type { UserWithSecret } from '../store/repos/users.js';
import {
  type RefreshTokenRow,
  findRefreshTokenByHash,
  findRefreshTokenById,
  insertRefreshToken,
  revokeFamily,
  touchRefreshToken,
} from '../store/repos/refresh-tokens.js';
import { type RedeemEvent, writeRotation } from './refresh-rotate.js';
import { rowId } from '../store/ids.js';
import { writeOne } from '../store/write-group.js';
import { CodedError, errors } from '../errors/index.js';
import { DEFAULTS } from '../config/defaults.js';

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
export const IDLE_SLIDE_GRANULARITY_MS = DEFAULTS.refreshTokens.idleSlideMs;

export const REFRESH_DEFAULTS = DEFAULTS.refreshTokens.client;

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
export function invalidRefreshToken(detail: string): CodedError {
  return errors.invalidRefreshToken(detail);
}

/** SHA-256 of a token, the only form stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

function newToken(): { id: string; token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { id: rowId('rt'), token, hash: hashToken(token) };
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
  await writeOne(rt.store.db, (db) =>
    insertRefreshToken(db, {
      ...rowFor(grant.client, now, now),
      id: t.id,
      token_hash: t.hash,
      family_id: rowId('rtf'),
      client_id: grant.client.client_id,
      user_id: grant.userId,
      connection_id: grant.connectionId,
      audience: grant.audience,
      scope: grant.scopes.join(' '),
    }),
  );
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
  /** The family's user, read with the token (one statement); undefined: deleted. Not checked here. */
  user: UserWithSecret | undefined;
  /** The user's roles and permissions, read with the token for the stored API `apiId` (see RefreshGrantRows). */
  authorization: RefreshGrantRows['authorization'];
  /**
   * Uses the token, once every other check of the exchange passed: rotates
   * it (answering the successor), answers the successor it was already
   * rotated to (an exact retry within the retry window) or, for a
   * non-rotating client, slides its idle expiry (answering undefined).
   * Throws `invalid_grant` when a racing request used it first.
   *
   * `event` (the success's audit event) is written atomically with the
   * rotation (writeRotation), so that neither is written without the other;
   * when the token needs no write, it is written on its own.
   */
  redeem(event?: RedeemEvent): Promise<string | undefined>;
}

/**
 * What using a rotating token will do: rotate it, answer the successor it
 * already has (a retry whose answer was lost), or re-exchange it within the
 * leeway. Anything else is reuse: the family is revoked and this throws.
 */
type Plan = { kind: 'rotate' } | { kind: 'retry'; successor: string } | { kind: 'supersede' };

/**
 * Looks a presented refresh token up and checks it: known, this client's,
 * not revoked, not expired. Nothing is used up here (see `redeem`), except
 * that a token already rotated away, outside the retry window and the
 * leeway, is reuse: the whole family is revoked at once.
 */
export async function checkRefreshToken(
  rt: Runtime,
  client: Client,
  presented: string,
): Promise<RefreshTicket> {
  const db = rt.store.db;
  const now = rt.now();
  const found = await findRefreshTokenForGrant(db, hashToken(presented));
  const row = found?.token;
  if (!row || row.client_id !== client.client_id)
    throw invalidRefreshToken("unknown token or another client's");
  if (row.revoked_at !== null) throw invalidRefreshToken('revoked');
  // Issued further in the future than clocks may differ: written by a node whose clock is wrong.
  if (row.created_at > now + rt.config.clockSkewMs) throw invalidRefreshToken('issued in the future');
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
      user: found.user,
      authorization: found.authorization,
      async redeem(event) {
        // Sliding the idle expiry is a write; within a minute of the last one it is skipped
        // (the expiry then lags by at most IDLE_SLIDE_GRANULARITY_MS).
        if (policy.idleMs !== null && now - row.last_used_at >= IDLE_SLIDE_GRANULARITY_MS) {
          if (!(await touchRefreshToken(db, row.id, now, now + policy.idleMs)))
            throw invalidRefreshToken('revoked meanwhile');
        }
        if (event) await recordEvent(rt, event);
        return undefined;
      },
    };
  }
  // Decided now, so that reuse is caught before any rule runs.
  const checked = await planFor(rt, row, policy, now);
  return {
    row,
    user: found.user,
    authorization: found.authorization,
    async redeem(event) {
      const now = rt.now();
      let fresh = row;
      let plan = checked;
      if (plan.kind !== 'rotate') {
        // A retry or a re-exchange: decided again, on a fresh read (the rules may have taken a while).
        const again = await findRefreshTokenByHash(db, row.token_hash);
        if (!again || again.revoked_at !== null) throw invalidRefreshToken('revoked meanwhile');
        fresh = again;
        plan = await planFor(rt, fresh, policy, now);
        if (plan.kind === 'retry') return retried(plan.successor);
      }
      // A plain rotation needs no fresh read: the conditional UPDATE decides.
      const next = newToken();
      const successor = {
        ...rowFor(client, now, fresh.family_created_at),
        id: next.id,
        token_hash: next.hash,
        family_id: fresh.family_id,
        client_id: fresh.client_id,
        user_id: fresh.user_id,
        connection_id: fresh.connection_id,
        audience: fresh.audience,
        scope: fresh.scope,
        parent_id: fresh.id,
      };
      const sealed = plan.kind === 'rotate' ? sealSuccessor(rt, next.token) : null;
      const won = await writeRotation(rt, { kind: plan.kind, fresh, successor, sealed, now }, event);
      if (won) return next.token;
      // A racing request with the same token rotated it a moment earlier. Within the retry
      // window that is an honest retry (a client that gave up waiting): it gets the same
      // successor; otherwise reuse, or (within the leeway) a lost race.
      const after = await findRefreshTokenByHash(db, row.token_hash);
      if (!after || after.revoked_at !== null) throw invalidRefreshToken('revoked meanwhile');
      const again = await planFor(rt, after, policy, now);
      if (again.kind === 'retry') return retried(again.successor);
      throw invalidRefreshToken('used by a concurrent request');

      /** A retry writes no token: what goes with it is written on its own. */
      async function retried(successor: string): Promise<string> {
        if (event) await recordEvent(rt, event);
        return successor;
      }
    },
  };
}

async function planFor(rt: Runtime, row: RefreshTokenRow, policy: RefreshPolicy, now: number): Promise<Plan> {
  if (row.rotated_at === null) return { kind: 'rotate' };
  const elapsed = now - row.rotated_at;
  // Rotated further in the future than clocks may differ: how long ago is unknown, so neither
  // the retry window nor the leeway can hold (a future time must not excuse every reuse).
  if (elapsed < -rt.config.clockSkewMs) return reuseDetected(rt, row);
  if (row.successor_enc && row.replaced_by && elapsed <= rt.config.refreshRetryWindowMs) {
    const successor = await findRefreshTokenById(rt.store.db, row.replaced_by);
    if (successor && successor.rotated_at === null && successor.revoked_at === null) {
      const token = openSuccessor(rt, row.successor_enc);
      if (token !== undefined) return { kind: 'retry', successor: token };
    }
  }
  if (policy.leewayMs > 0 && elapsed <= policy.leewayMs) return { kind: 'supersede' };
  return reuseDetected(rt, row);
}

const boxes = new WeakMap<Runtime, SecretBox>();

function successorBox(rt: Runtime): SecretBox {
  let box = boxes.get(rt);
  if (!box) {
    box = new SecretBox(rt.config.secret, 'tessera refresh token successors');
    boxes.set(rt, box);
  }
  return box;
}

/** The successor sealed for retries, or null when retries are off. */
function sealSuccessor(rt: Runtime, token: string): string | null {
  return rt.config.refreshRetryWindowMs > 0 ? successorBox(rt).seal(token) : null;
}

/** Undefined when the successor was sealed under another TESSERA_SECRET: no retry then. */
function openSuccessor(rt: Runtime, sealed: string): string | undefined {
  try {
    return successorBox(rt).open(sealed);
  } catch {
    return undefined;
  }
}

/** A rotated-away token came back: its family is revoked. Answers like any bad token. */
export class RefreshTokenReuse extends CodedError {
  constructor(
    readonly userId: string,
    readonly familyId: string,
    readonly revoked: number,
  ) {
    super('ERR_INVALID_REFRESH_TOKEN', 'Unknown or invalid refresh token.', { detail: 'reuse detected' });
  }
}

async function reuseDetected(rt: Runtime, row: RefreshTokenRow): Promise<never> {
  const revoked = await revokeFamily(rt.store.db, row.family_id, rt.now());
  throw new RefreshTokenReuse(row.user_id, row.family_id, revoked);
}
