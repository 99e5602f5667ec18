import type { FastifyPluginAsync } from 'fastify';
import { errors } from '../errors/index.js';
import { authenticateClient } from '../oauth/client-auth.js';
import { introspectToken } from '../oauth/introspection.js';
import { Params } from '../oauth/params.js';
import type { Runtime } from '../runtime.js';

/**
 * POST /oauth/introspect (RFC 7662), for confidential clients such as
 * resource servers (what is active: oauth/introspection.ts).
 */
export const introspectRoutes: FastifyPluginAsync<{ rt: Runtime }> = async (app, { rt }) => {
  app.post('/oauth/introspect', async (request, reply) => {
    reply.header('Cache-Control', 'no-store');
    const params = new Params(request.body);
    const { client, method } = await authenticateClient(rt, params, request.headers.authorization, {
      failure: 'invalid_client',
    });
    if (method === 'none') throw errors.invalidClient('public clients may not introspect');
    const token = params.required('token');
    const hint = params.optional('token_type_hint');
    return introspectToken(rt, client.client_id, token, hint);
  });
};
