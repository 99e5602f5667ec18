import { recordEvent } from '../events/log.js';
import type { Runtime } from '../runtime.js';
import type { Client } from '../store/repos/clients.js';
import { findRefreshTokenByHash, revokeFamily } from '../store/repos/refresh-tokens.js';
import { hashToken } from '../tokens/refresh-tokens.js';

/**
 * Revokes the whole family of a live refresh token issued to `client`, and
 * records `srrt`; anything else (unknown, another client's, already
 * revoked) is silently nothing, so the answer reveals nothing.
 */
export async function revokeRefreshToken(
  rt: Runtime,
  client: Client,
  token: string,
  request: { ip: string; userAgent?: string },
): Promise<void> {
  const row = await findRefreshTokenByHash(rt.store.db, hashToken(token));
  if (!row || row.client_id !== client.client_id || row.revoked_at !== null) return;
  const revoked = await revokeFamily(rt.store.db, row.family_id, rt.now());
  await recordEvent(rt, {
    type: 'srrt',
    description: null,
    client_id: client.client_id,
    client_name: client.name,
    user_id: row.user_id,
    ip: request.ip,
    user_agent: request.userAgent ?? null,
    details: { family_id: row.family_id, revoked },
  });
}
