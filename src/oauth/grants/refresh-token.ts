import { recordEvent } from '../../events/log.js';
import { refreshLoginContext } from '../../login/build.js';
import type { LoginContext } from '../../login/context.js';
import { REFRESH_LOGIN, runLogin } from '../../login/pipeline.js';
import { findConnectionById } from '../../store/repos/connections.js';
import { findApi } from '../audience.js';
import { CodedError, errors } from '../../errors/index.js';
import { toOAuth } from '../wire.js';
import { RefreshTokenReuse, checkRefreshToken, invalidRefreshToken } from '../../tokens/refresh-tokens.js';
import { parseScope } from '../../tokens/scopes.js';
import type { Grant, GrantRequest } from './types.js';

/**
 * `grant_type=refresh_token` (RFC 6749 §6): a new access token for the
 * family's user, client, API and scopes (`scope` may only narrow them), with
 * rotation and reuse detection as the client's `refresh_token` settings say.
 */
export const refreshTokenGrant: Grant = {
  grantType: 'refresh_token',
  parameters: new Set(['refresh_token', 'scope']),
  failureEvent: 'fertft',
  async handle(req) {
    let ctx: LoginContext;
    try {
      ctx = await refreshLogin(req);
    } catch (err) {
      throw await recordFailure(req, err);
    }
    // From here on the pipeline records its own success or failure.
    return runLogin(ctx, REFRESH_LOGIN);
  },
};

/**
 * Checks the token and the request; the token is used up (rotated) only by
 * the pipeline's refresh.redeem step, after the rules and the signing.
 */
async function refreshLogin(req: GrantRequest): Promise<LoginContext> {
  const { rt, client, params } = req;
  const ticket = await checkRefreshToken(rt, client, params.required('refresh_token'));
  const { row, user } = ticket;
  const familyScopes = parseScope(row.scope);
  const requested = parseScope(params.optional('scope'));
  const extra = requested.find((s) => !familyScopes.includes(s));
  if (extra) throw errors.invalidScope(`The scope "${extra}" was not granted to this refresh token`);
  const scopes = requested.length > 0 ? requested : familyScopes;

  if (!user || user.blocked) throw user ? errors.refreshUserBlocked() : errors.refreshUserDeleted();
  const connection = await findConnectionById(rt.store.db, row.connection_id);
  const api = row.audience ? await findApi(rt, row.audience) : undefined;
  if (!connection || (row.audience && !api)) throw invalidRefreshToken('connection or API deleted');

  // Read with the token for the stored API of its audience: it holds when that is the API found.
  const authorization = ticket.authorization.apiId === (api?.id ?? null) ? ticket.authorization : undefined;
  return refreshLoginContext(req, {
    ticket,
    user,
    connection,
    api,
    requestedScopes: requested,
    scopes,
    ...(authorization
      ? { authorization: { roles: authorization.roles, permissions: authorization.permissions } }
      : {}),
  });
}

/** Records `fertft` for a refused refresh, and returns the error to answer with. */
async function recordFailure(req: GrantRequest, err: unknown): Promise<unknown> {
  if (!(err instanceof CodedError)) return err;
  const reuse = err instanceof RefreshTokenReuse ? err : undefined;
  await recordEvent(req.rt, {
    type: 'fertft',
    description: reuse ? 'Refresh token reuse detected: the whole token family was revoked' : err.message,
    client_id: req.client.client_id,
    client_name: req.client.name,
    user_id: reuse?.userId ?? null,
    ip: req.request.ip,
    user_agent: req.request.userAgent ?? null,
    details: reuse
      ? { reason: 'reuse_detected', family_id: reuse.familyId, revoked: reuse.revoked }
      : { reason: err.detail ?? toOAuth(err)?.error },
  });
  return err;
}
