import type { FastifyInstance, FastifyRequest } from 'fastify';
import { userClaims } from '../identity/claims.js';
import { bearerToken, verifyAccessToken } from '../oauth/access-token.js';
import { errors } from '../errors/index.js';
import { parseScope } from '../oauth/scopes.js';
import type { Runtime } from '../runtime.js';
import { findUserById } from '../store/repos/users.js';

/** GET|POST /userinfo (OIDC Core §5.3): the user's claims that the token's scopes release. */
export function userinfoRoutes(app: FastifyInstance, rt: Runtime): void {
  const handler = async (request: FastifyRequest) => {
    const payload = await verifyAccessToken(
      rt,
      bearerToken(request.headers.authorization),
      `${rt.config.issuer}userinfo`,
    );
    const scopes = parseScope(typeof payload.scope === 'string' ? payload.scope : '');
    if (!scopes.includes('openid')) throw errors.insufficientScope('openid');
    const user = payload.sub ? await findUserById(rt.store.db, payload.sub) : undefined;
    if (!user || user.blocked)
      throw errors.invalidToken('The user of this token no longer exists or is blocked');
    return { sub: user.user_id, ...userClaims(user, scopes) };
  };
  app.get('/userinfo', handler);
  app.post('/userinfo', handler);
}
