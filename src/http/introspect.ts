import type { FastifyInstance } from 'fastify';
import { verifyAccessToken } from '../oauth/access-token.js';
import { authenticateClient } from '../oauth/client-auth.js';
import { errors } from '../errors/index.js';
import { hashToken } from '../oauth/refresh-tokens.js';
import type { Runtime } from '../runtime.js';
import { findRefreshTokenByHash } from '../store/repos/refresh-tokens.js';
import { Params } from './params.js';

const INACTIVE = { active: false } as const;

/**
 * POST /oauth/introspect (RFC 7662), for confidential clients such as
 * resource servers. Access tokens: active while their signature, issuer and
 * expiry hold (they are self-contained: revoking a refresh token does not
 * recall access tokens already issued). Refresh tokens: active only to the
 * client they were issued to, while neither rotated, revoked nor expired.
 */
export function introspectRoutes(app: FastifyInstance, rt: Runtime): void {
  app.post('/oauth/introspect', async (request, reply) => {
    reply.header('Cache-Control', 'no-store');
    const params = new Params(request.body);
    const { client, method } = await authenticateClient(rt, params, request.headers.authorization, {
      failure: 'invalid_client',
    });
    if (method === 'none') throw errors.invalidClient('public clients may not introspect');
    const token = params.required('token');
    const hint = params.optional('token_type_hint');
    const order = hint === 'refresh_token' ? [refresh, access] : [access, refresh];
    for (const look of order) {
      const answer = await look(token, client.client_id);
      if (answer) return answer;
    }
    return INACTIVE;
  });

  async function access(token: string) {
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

  async function refresh(token: string, clientId: string) {
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
}
