import { randomUUID } from 'node:crypto';
import type { LoginSnapshot } from '../login-types/snapshot.js';
import type { Runtime } from '../runtime.js';
import {
  type MfaTransactionRow,
  completeMfaTransaction,
  deleteFinishedMfaTransaction,
  findMfaTransaction,
  insertMfaTransaction,
  insertMfaTransactionIfAbsent,
} from '../store/repos/mfa-transactions.js';
import { findUserById } from '../store/repos/users.js';
import { codeHash, opaqueToken } from './codes.js';
import { mfaErrors } from '../errors/index.js';
import { MFA_LIMITS, mfaAudience } from './settings.js';

/**
 * A password login waiting for its second factor: the login's snapshot
 * (login-types/snapshot.ts; made and restored by login/build.ts).
 */
export type PendingLogin = LoginSnapshot;

export interface MfaTransaction {
  row: MfaTransactionRow;
  login: PendingLogin;
}

/** Stores the pending login and answers its mfa_token (kept only as a hash; 10 minutes). */
export async function startMfaTransaction(rt: Runtime, login: PendingLogin): Promise<string> {
  const token = opaqueToken();
  const now = rt.now();
  await insertMfaTransaction(rt.store.db, {
    id: `mfa_${randomUUID()}`,
    token_hash: codeHash(rt, token),
    user_id: login.userId,
    client_id: login.clientId,
    login: JSON.stringify(login),
    created_at: now,
    expires_at: now + MFA_LIMITS.tokenTtlMs,
    completed_at: null,
  });
  return token;
}

/**
 * The pending login an mfa_token stands for. Unknown or completed:
 * `Malformed mfa_token`; past its 10 minutes: `mfa_token is expired`.
 */
export async function loadMfaTransaction(rt: Runtime, token: string): Promise<MfaTransaction> {
  const row = await findMfaTransaction(rt.store.db, codeHash(rt, token));
  if (!row || row.completed_at !== null) throw mfaErrors.malformedToken();
  if (rt.now() >= row.expires_at) throw mfaErrors.expiredToken();
  return { row, login: JSON.parse(row.login) as PendingLogin };
}

/**
 * The enrolment transaction of an MFA-API access token: the token itself is
 * its mfa_token, so what it enrols is confirmed only by an MFA grant that
 * presents that same token, and the grant answers a new MFA-API token (same
 * scopes) that carries the completed MFA. It lives as long as the token.
 */
export async function accessTokenTransaction(
  rt: Runtime,
  at: { token: string; expiresAt: number },
  caller: { scopes: string[]; userId: string; clientId: string; mfa: boolean },
): Promise<MfaTransaction> {
  const { scopes, userId, clientId } = caller;
  const tokenHash = codeHash(rt, at.token);
  const old = await findMfaTransaction(rt.store.db, tokenHash);
  if (old && old.completed_at === null && rt.now() < old.expires_at) {
    return { row: old, login: JSON.parse(old.login) as PendingLogin };
  }
  if (old) await deleteFinishedMfaTransaction(rt.store.db, old.id, rt.now());
  const user = await findUserById(rt.store.db, userId);
  if (!user) throw mfaErrors.malformedToken();
  const login: PendingLogin = {
    userId,
    clientId,
    connectionId: user.connection_id,
    audience: mfaAudience(rt),
    grantType: 'password',
    requestedScopes: scopes,
    scopes,
    echoScope: false,
    refresh: false,
    accessTokenClaims: {},
    idTokenClaims: {},
    username: user.email ?? user.username ?? user.user_id,
    mfa: caller.mfa,
  };
  await insertMfaTransactionIfAbsent(rt.store.db, {
    id: `mfa_${randomUUID()}`,
    token_hash: tokenHash,
    user_id: userId,
    client_id: clientId,
    login: JSON.stringify(login),
    created_at: rt.now(),
    expires_at: at.expiresAt,
    completed_at: null,
  });
  const row = await findMfaTransaction(rt.store.db, tokenHash);
  if (!row || row.completed_at !== null) throw mfaErrors.malformedToken();
  return { row, login: JSON.parse(row.login) as PendingLogin };
}

/** Ends the pending login; false when a racing request ended it first. */
export function completeMfa(rt: Runtime, tx: MfaTransaction): Promise<boolean> {
  return completeMfaTransaction(rt.store.db, tx.row.id, rt.now());
}
