import type { FastifyInstance } from 'fastify';
import { recordEvent } from '../events/log.js';
import { authenticateClient } from '../oauth/client-auth.js';
import { hashToken } from '../oauth/refresh-tokens.js';
import type { Runtime } from '../runtime.js';
import { findRefreshTokenByHash, revokeFamily } from '../store/repos/refresh-tokens.js';
import { Params } from './params.js';

/**
 * POST /oauth/revoke (RFC 7009, as Auth0 does it): revokes the refresh
 * token's whole family. 200 with an empty body whether or not the token was
 * known or the client's, so it reveals nothing.
 */
export function revokeRoutes(app: FastifyInstance, rt: Runtime): void {
  app.post('/oauth/revoke', async (request, reply) => {
    reply.header('Cache-Control', 'no-store');
    const params = new Params(request.body);
    const { client } = await authenticateClient(rt, params, request.headers.authorization, {
      failure: 'invalid_client',
    });
    const token = params.required('token');
    const row = await findRefreshTokenByHash(rt.store.db, hashToken(token));
    if (row && row.client_id === client.client_id && row.revoked_at === null) {
      const revoked = await revokeFamily(rt.store.db, row.family_id, rt.now());
      await recordEvent(rt, {
        type: 'srrt',
        description: null,
        client_id: client.client_id,
        client_name: client.name,
        user_id: row.user_id,
        ip: request.ip,
        user_agent: request.headers['user-agent'] ?? null,
        details: { family_id: row.family_id, revoked },
      });
    }
    return reply.code(200).send();
  });
}
