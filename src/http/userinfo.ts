import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { userInfo } from '../oauth/userinfo.js';
import type { Runtime } from '../runtime.js';

/** GET|POST /userinfo (OIDC Core §5.3): the user's claims that the token's scopes release. */
export const userinfoRoutes: FastifyPluginAsync<{ rt: Runtime }> = async (app, { rt }) => {
  const handler = async (request: FastifyRequest) => userInfo(rt, request.headers.authorization);
  app.get('/userinfo', handler);
  app.post('/userinfo', handler);
};
