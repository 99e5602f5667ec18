import { type KeyObject, constants, sign } from 'node:crypto';
import { SignJWT } from 'jose';

/**
 * Compact JWS signing of a JWT with a signing key's cached `node:crypto`
 * KeyObject: the same bytes jose writes (header and claims as
 * `JSON.stringify` gives them, base64url, then the signature), without
 * jose's per-call WebCrypto dispatch (a CryptoKey lookup, promise layers and
 * the claims' structured clone). RSA signing runs on libuv's thread pool, as
 * WebCrypto's does. RS256 (PKCS#1 v1.5, deterministic: byte for byte what
 * jose signs) and PS256; any other algorithm goes to jose.
 *
 * `bench/refresh-grant.ts` measures both in the same run (`signJwtWithJose`
 * is kept for that, and for algorithms this module does not do itself).
 */

const b64u = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };

/** The header Tessera's JWTs carry: `{ alg, typ: "JWT", kid }`, in that order. */
export interface JwtHeader {
  alg: string;
  typ: 'JWT';
  kid: string;
}

/** Signs `claims` as a compact JWT (see the module comment). */
export function signCompactJwt(
  header: JwtHeader,
  claims: Record<string, unknown>,
  key: KeyObject,
): Promise<string> {
  const options = header.alg === 'RS256' ? key : header.alg === 'PS256' ? { key, ...PSS } : undefined;
  if (!options || key.asymmetricKeyType !== 'rsa') return signJwtWithJose(header, claims, key);
  for (const claim of ['iat', 'nbf', 'exp']) {
    const value = claims[claim];
    if (typeof value === 'number' && !Number.isFinite(value))
      return Promise.reject(new TypeError(`"${claim}" claim must be a finite number`));
  }
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(claims))}`;
  return new Promise((resolve, reject) => {
    sign('sha256', Buffer.from(input, 'utf8'), options, (err, signature) => {
      if (err) reject(err);
      else resolve(`${input}.${signature.toString('base64url')}`);
    });
  });
}

/** The same JWT, signed by jose (WebCrypto). */
export function signJwtWithJose(
  header: JwtHeader,
  claims: Record<string, unknown>,
  key: KeyObject,
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ ...header }).sign(key);
}
