import type { Runtime } from '../runtime.js';
import { findRefreshTokenByHash } from '../store/repos/refresh-tokens.js';
import { verifyAccessToken } from '../tokens/access-token.js';
import { hashToken } from '../tokens/refresh-tokens.js';

const INACTIVE = { active: false } as const;

/**
 * RFC 7662's answer about `token` for the client `clientId`, looked up as
 * the hint says first. Access tokens: active while their signature, issuer
 * and expiry hold (they are self-contained: revoking a refresh token does
 * not recall access tokens already issued). Refresh tokens: active only to
 * the client they were issued to, while neither rotated, revoked nor expired.
 */
export async function introspectToken(
  rt: Runtime,
  clientId: string,
  token: string,
  hint: string | undefined,
): Promise<Record<string, unknown>> {
  const order = hint === 'refresh_token' ? [refresh, access] : [access, refresh];
  for (const look of order) {
    const answer = await look(rt, token, clientId);
    if (answer) return answer;
  }
  return INACTIVE;
}

async function access(rt: Runtime, token: string) {
  if (token.split('.').length !== 3) return undefined;
  try {
    const p = await verifyAccessToken(rt, token, undefined);
    return {
      active: true,
      token_type: 'access_token',
      scope: p.scope,
      client_id: p.azp,
      sub: p.sub,
      aud: p.aud,
      iss: p.iss,
      exp: p.exp,
      iat: p.iat,
      gty: p.gty,
    };
  } catch {
    return undefined;
  }
}

async function refresh(rt: Runtime, token: string, clientId: string) {
  const row = await findRefreshTokenByHash(rt.store.db, hashToken(token));
  const now = rt.now();
  if (!row || row.client_id !== clientId || row.revoked_at !== null || row.rotated_at !== null)
    return undefined;
  if (row.created_at > now + rt.config.clockSkewMs) return undefined;
  const ends = [row.expires_at, row.idle_expires_at].filter((t): t is number => t !== null);
  const exp = ends.length > 0 ? Math.min(...ends) : undefined;
  if (exp !== undefined && now >= exp) return undefined;
  return {
    active: true,
    token_type: 'refresh_token',
    scope: row.scope,
    client_id: row.client_id,
    sub: row.user_id,
    ...(row.audience ? { aud: row.audience } : {}),
    iss: rt.config.issuer,
    iat: Math.floor(row.created_at / 1000),
    ...(exp !== undefined ? { exp: Math.floor(exp / 1000) } : {}),
  };
}
