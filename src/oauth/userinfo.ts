import { errors } from '../errors/index.js';
import { userClaims } from '../identity/claims.js';
import type { Runtime } from '../runtime.js';
import { findUserById } from '../store/repos/users.js';
import { bearerToken, verifyAccessToken } from '../tokens/access-token.js';
import { parseScope } from '../tokens/scopes.js';

/**
 * OIDC Core §5.3: the claims of the bearer token's user that its scopes
 * release. The token must be for `<issuer>userinfo` with `openid`, and its
 * user must still exist and not be blocked.
 */
export async function userInfo(
  rt: Runtime,
  authorization: string | undefined,
): Promise<Record<string, unknown>> {
  const payload = await verifyAccessToken(rt, bearerToken(authorization), `${rt.config.issuer}userinfo`);
  const scopes = parseScope(typeof payload.scope === 'string' ? payload.scope : '');
  if (!scopes.includes('openid')) throw errors.insufficientScope('openid');
  const user = payload.sub ? await findUserById(rt.store.db, payload.sub) : undefined;
  if (!user || user.blocked)
    throw errors.invalidToken('The user of this token no longer exists or is blocked');
  return { sub: user.user_id, ...userClaims(user, scopes) };
}
