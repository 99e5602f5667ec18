import { type JWTPayload, decodeProtectedHeader, jwtVerify } from 'jose';
import type { Runtime } from '../runtime.js';
import { errors } from '../errors/index.js';

/**
 * True for the claims of an access token: Tessera's access tokens always
 * carry `scope`, `gty` and `azp`, which an ID token (signed with the same
 * keys, `aud` = the client) never does: those claims are reserved.
 */
export function isAccessTokenPayload(p: JWTPayload): boolean {
  const gty = p.gty;
  return (
    typeof p.scope === 'string' &&
    typeof p.azp === 'string' &&
    (typeof gty === 'string' || (Array.isArray(gty) && gty.every((g) => typeof g === 'string')))
  );
}

/**
 * Verifies an access token Tessera issued: signature by a published key,
 * issuer, expiry, that it is an access token (not an ID token), and that
 * `aud` includes the expected audience (any audience when undefined:
 * introspection).
 */
export async function verifyAccessToken(
  rt: Runtime,
  token: string,
  audience: string | undefined,
): Promise<JWTPayload> {
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    throw errors.invalidToken('Malformed access token');
  }
  const key = kid ? await rt.keys.byKid(kid) : undefined;
  if (!key) throw errors.invalidToken('Invalid access token');
  const now = rt.now();
  let payload: JWTPayload;
  try {
    // The tolerance lets `nbf` be up to TESSERA_CLOCK_SKEW ahead (another node's clock); `exp` stays exact.
    ({ payload } = await jwtVerify(token, key.publicKey, {
      issuer: rt.config.issuer,
      audience,
      algorithms: ['RS256', 'PS256'],
      currentDate: new Date(now),
      clockTolerance: Math.floor(rt.config.clockSkewMs / 1000),
    }));
  } catch {
    throw errors.invalidToken('Invalid or expired access token');
  }
  if (!isAccessTokenPayload(payload)) throw errors.invalidToken('Invalid or expired access token');
  const nowS = Math.floor(now / 1000);
  const expired = typeof payload.exp === 'number' && payload.exp <= nowS;
  if (expired || issuedInTheFuture(payload.iat, now, rt.config.clockSkewMs))
    throw errors.invalidToken('Invalid or expired access token');
  return payload;
}

/** True for an `iat` (seconds) further ahead of `now` than the allowed skew: a token from a clock gone wrong. */
export function issuedInTheFuture(iat: number | undefined, now: number, skewMs: number): boolean {
  return typeof iat === 'number' && iat * 1000 > now + skewMs;
}

/** The Bearer token of an Authorization header (RFC 6750 §2.1), or the missing-token error. */
export function bearerToken(authorization: string | undefined): string {
  const m = authorization ? /^Bearer\s+([A-Za-z0-9._~+/-]+=*)\s*$/i.exec(authorization) : null;
  if (!m) throw errors.missingToken();
  return m[1]!;
}
