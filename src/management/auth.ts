import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeJwt, type JWTPayload } from 'jose';
import { managementErrors } from '../errors/index.js';
import { verifyAccessToken } from '../tokens/access-token.js';
import { parseScope } from '../tokens/scopes.js';
import type { ManagementContext } from './context.js';
import { takeClientRate } from './rate-limit.js';
import { auditRefusal } from './refusal-audit.js';

const BEARER = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)\s*$/i;

/** Why a token that failed verification failed, told as Auth0 tells it (the claims are read, not trusted). */
function refusal(token: string, audience: string, now: number): Error {
  let claims: JWTPayload | undefined;
  try {
    claims = decodeJwt(token);
  } catch {
    return managementErrors.unauthorized('Invalid token', 'invalid_token');
  }
  if (typeof claims.exp === 'number' && claims.exp * 1000 <= now)
    return managementErrors.unauthorized(
      'Expired token received for JSON Web Token validation',
      'token_expired',
    );
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes(audience))
    return managementErrors.unauthorized(
      `Bad audience: ${aud.filter(Boolean).join(' ')}`,
      'invalid_audience',
    );
  return managementErrors.unauthorized('Invalid token', 'invalid_token');
}

/**
 * The Management API's preHandler: the request must carry a Bearer access
 * token Tessera signed (a published key, issuer, expiry) for
 * `<issuer>api/v2/`, issued by the client_credentials grant (a user's token
 * is refused even for this audience), with at least one of `scopes`. Then
 * the calling client's rate limit is taken. Sets `request.managementCaller`.
 * Refusals: 401 (`Missing authentication`, `Invalid token`, `Expired token…`,
 * `Bad audience…`), 403 `insufficient_scope`, 429; the last two are audit
 * events (refusal-audit.ts).
 */
export function requireScope(...scopes: [string, ...string[]]) {
  return async function checkManagementToken(
    this: FastifyInstance,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<void> {
    const ctx = this.management;
    const header = request.headers.authorization;
    if (!header) throw managementErrors.unauthorized('Missing authentication', 'missing_authentication');
    const m = BEARER.exec(header);
    if (!m) throw managementErrors.unauthorized('Bad HTTP authentication header format', 'invalid_token');
    const token = m[1]!;
    let payload: JWTPayload;
    try {
      payload = await verifyAccessToken(ctx.rt, token, ctx.audience);
    } catch {
      throw refusal(token, ctx.audience, ctx.rt.now());
    }
    const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (
      payload.gty !== 'client-credentials' ||
      aud.length !== 1 ||
      typeof payload.sub !== 'string' ||
      payload.sub !== `${payload.azp}@clients`
    ) {
      throw managementErrors.unauthorized(
        'The Management API takes tokens of the client_credentials grant only',
        'invalid_token',
      );
    }
    const clientId = payload.azp as string;
    const granted = parseScope(payload.scope as string);
    try {
      await takeClientRate(ctx, clientId, reply);
      if (!scopes.some((s) => granted.includes(s))) throw managementErrors.insufficientScope(scopes);
    } catch (err) {
      await auditRefusal(ctx, request, clientId, err);
      throw err;
    }
    request.managementCaller = { clientId, scopes: granted };
  };
}

/**
 * Refuses (403, audited as requireScope's refusals are) a caller who passed
 * its route's requireScope but lacks `scope`, which this particular request
 * also needs (what its body asks for goes beyond the route's own scope).
 */
export async function requireAlso(
  ctx: ManagementContext,
  request: FastifyRequest,
  scope: string,
): Promise<void> {
  const caller = callerOf(request);
  if (caller.scopes.includes(scope)) return;
  const refusal = managementErrors.insufficientScope([scope]);
  await auditRefusal(ctx, request, caller.clientId, refusal);
  throw refusal;
}

/** The caller of a route behind `requireScope` (a route without it is a programming error). */
export function callerOf(request: FastifyRequest) {
  const caller = request.managementCaller;
  if (!caller) throw new Error('management route without requireScope');
  return caller;
}
