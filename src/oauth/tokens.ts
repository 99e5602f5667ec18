import { SignJWT } from 'jose';
import { userClaims } from '../identity/claims.js';
import type { Runtime } from '../runtime.js';
import type { Client } from '../store/repos/clients.js';
import type { ResourceServer } from '../store/repos/resource-servers.js';
import type { User } from '../store/repos/users.js';

/** Claims a caller may never set: they are the token's own. */
export const RESERVED_CLAIMS = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'nbf',
  'iat',
  'jti',
  'azp',
  'scope',
  'gty',
  'permissions',
  'nonce',
  'auth_time',
  'amr',
  'acr',
]);

export const DEFAULT_ACCESS_TOKEN_LIFETIME = 86_400;
export const DEFAULT_ID_TOKEN_LIFETIME = 36_000;

/** The successful token response body (RFC 6749 §5.1, Auth0's field order). */
export interface TokenResponse {
  access_token: string;
  id_token?: string;
  refresh_token?: string;
  scope?: string;
  expires_in: number;
  token_type: 'Bearer';
}

export interface IssueInput {
  client: Client;
  user: User;
  /** The API the access token is for; undefined: a token for /userinfo only. */
  api: ResourceServer | undefined;
  scopes: string[];
  /** Echo `scope` in the response. */
  echoScope: boolean;
  gty: string | string[];
  accessTokenClaims?: Record<string, unknown>;
  idTokenClaims?: Record<string, unknown>;
}

/** The `aud` of an access token: the API, plus `<issuer>userinfo` when openid is granted. */
export function accessTokenAudience(
  issuer: string,
  api: ResourceServer | undefined,
  scopes: string[],
): string | string[] {
  const userinfo = `${issuer}userinfo`;
  if (!api) return userinfo;
  return scopes.includes('openid') ? [api.identifier, userinfo] : api.identifier;
}

/** Signs the access token and, when `openid` is granted, the ID token. */
export async function issueTokens(rt: Runtime, input: IssueInput): Promise<TokenResponse> {
  const { client, user, api, scopes } = input;
  const issuer = rt.config.issuer;
  const key = await rt.keys.current();
  const iat = Math.floor(rt.now() / 1000);
  const lifetime = api?.token_lifetime ?? DEFAULT_ACCESS_TOKEN_LIFETIME;

  const accessPayload = {
    ...withoutReserved(input.accessTokenClaims),
    iss: issuer,
    sub: user.user_id,
    aud: accessTokenAudience(issuer, api, scopes),
    iat,
    exp: iat + lifetime,
    scope: scopes.join(' '),
    gty: input.gty,
    azp: client.client_id,
  };
  const alg = api?.signing_alg ?? 'RS256';
  const access_token = await new SignJWT(accessPayload)
    .setProtectedHeader({ alg, typ: 'JWT', kid: key.kid })
    .sign(key.privateKey);

  const response: TokenResponse = { access_token, expires_in: lifetime, token_type: 'Bearer' };
  if (scopes.includes('openid')) {
    const idLifetime = client.jwt_configuration?.lifetime_in_seconds ?? DEFAULT_ID_TOKEN_LIFETIME;
    const idPayload = {
      ...withoutReserved(input.idTokenClaims),
      ...userClaims(user, scopes),
      iss: issuer,
      sub: user.user_id,
      aud: client.client_id,
      iat,
      exp: iat + idLifetime,
    };
    response.id_token = await new SignJWT(idPayload)
      .setProtectedHeader({ alg: client.jwt_configuration?.alg ?? 'RS256', typ: 'JWT', kid: key.kid })
      .sign(key.privateKey);
  }
  if (input.echoScope) response.scope = scopes.join(' ');
  return orderResponse(response);
}

function withoutReserved(claims: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!claims) return {};
  return Object.fromEntries(Object.entries(claims).filter(([k]) => !RESERVED_CLAIMS.has(k)));
}

/** Auth0's field order, so answers read the same as Auth0's. */
function orderResponse(r: TokenResponse): TokenResponse {
  const out: Partial<TokenResponse> = { access_token: r.access_token };
  if (r.id_token) out.id_token = r.id_token;
  if (r.refresh_token) out.refresh_token = r.refresh_token;
  if (r.scope !== undefined) out.scope = r.scope;
  out.expires_in = r.expires_in;
  out.token_type = r.token_type;
  return out as TokenResponse;
}
