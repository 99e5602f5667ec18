import { type JWTPayload, decodeProtectedHeader, jwtVerify } from 'jose';
import type { Runtime } from '../runtime.js';
import { errors } from './errors.js';

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
  try {
    const { payload } = await jwtVerify(token, key.publicKey, {
      issuer: rt.config.issuer,
      audience,
      algorithms: ['RS256', 'PS256'],
      currentDate: new Date(rt.now()),
    });
    if (isAccessTokenPayload(payload)) return payload;
  } catch {
    // answered below
  }
  throw errors.invalidToken('Invalid or expired access token');
}

/** The Bearer token of an Authorization header (RFC 6750 §2.1), or the missing-token error. */
export function bearerToken(authorization: string | undefined): string {
  const m = authorization ? /^Bearer\s+([A-Za-z0-9._~+/-]+=*)\s*$/i.exec(authorization) : null;
  if (!m) throw errors.missingToken();
  return m[1]!;
}
