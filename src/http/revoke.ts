import type { FastifyPluginAsync } from 'fastify';
import { authenticateClient } from '../oauth/client-auth.js';
import { Params } from '../oauth/params.js';
import { revokeRefreshToken } from '../oauth/revoke.js';
import type { Runtime } from '../runtime.js';

/**
 * POST /oauth/revoke (RFC 7009, as Auth0 does it): revokes the refresh
 * token's whole family. 200 with an empty body whether or not the token was
 * known or the client's, so it reveals nothing.
 */
export const revokeRoutes: FastifyPluginAsync<{ rt: Runtime }> = async (app, { rt }) => {
  app.post('/oauth/revoke', async (request, reply) => {
    reply.header('Cache-Control', 'no-store');
    const params = new Params(request.body);
    const { client } = await authenticateClient(rt, params, request.headers.authorization, {
      failure: 'invalid_client',
    });
    const token = params.required('token');
    await revokeRefreshToken(rt, client, token, {
      ip: request.ip,
      userAgent: request.headers['user-agent'],
    });
    return reply.code(200).send();
  });
};
