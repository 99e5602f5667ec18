import { userClaims } from '../identity/claims.js';
import { signCompactJwt } from '../keys/jwt-sign.js';
import type { Runtime } from '../runtime.js';
import type { Client } from '../store/repos/clients.js';
import type { ResourceServer } from '../store/repos/resource-servers.js';
import type { User } from '../store/repos/users.js';
import { DEFAULTS } from '../config/defaults.js';

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

export const DEFAULT_ACCESS_TOKEN_LIFETIME = DEFAULTS.tokens.accessTokenLifetimeS;
export const DEFAULT_ID_TOKEN_LIFETIME = DEFAULTS.tokens.idTokenLifetimeS;

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
  /** Authentication methods of the login (`["mfa"]` after a second factor), on both tokens. */
  amr?: string[];
  accessTokenClaims?: Record<string, unknown>;
  idTokenClaims?: Record<string, unknown>;
  refreshToken?: string;
  /** The access token's `permissions` claim (an RBAC API with `token_dialect: access_token_authz`). */
  permissions?: string[];
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

/** Signs a JWT with the current signing key (its cached KeyObject: keys/jwt-sign.ts). */
export async function signJwt(rt: Runtime, payload: Record<string, unknown>, alg = 'RS256'): Promise<string> {
  const key = await rt.keys.current();
  return signCompactJwt({ alg, typ: 'JWT', kid: key.kid }, payload, key.privateKey);
}

/** Signs an access token for an API (or /userinfo): the claims of spec section 7. */
export async function signAccessToken(
  rt: Runtime,
  t: {
    sub: string;
    azp: string;
    api: ResourceServer | undefined;
    scopes: string[];
    gty: string | string[];
    amr?: string[];
    claims?: Record<string, unknown>;
    permissions?: string[];
  },
): Promise<{ token: string; expiresIn: number }> {
  const iat = Math.floor(rt.now() / 1000);
  const expiresIn = t.api?.token_lifetime ?? DEFAULT_ACCESS_TOKEN_LIFETIME;
  const token = await signJwt(
    rt,
    {
      ...withoutReserved(t.claims),
      iss: rt.config.issuer,
      sub: t.sub,
      aud: accessTokenAudience(rt.config.issuer, t.api, t.scopes),
      iat,
      exp: iat + expiresIn,
      scope: t.scopes.join(' '),
      gty: t.gty,
      azp: t.azp,
      ...(t.amr ? { amr: t.amr } : {}),
      ...(t.permissions ? { permissions: t.permissions } : {}),
    },
    t.api?.signing_alg ?? 'RS256',
  );
  return { token, expiresIn };
}

/** Signs the access token and, when `openid` is granted, the ID token. */
export async function issueTokens(rt: Runtime, input: IssueInput): Promise<TokenResponse> {
  const { client, user, api, scopes } = input;
  const access = await signAccessToken(rt, {
    sub: user.user_id,
    azp: client.client_id,
    api,
    scopes,
    gty: input.gty,
    amr: input.amr,
    claims: input.accessTokenClaims,
    permissions: input.permissions,
  });
  const response: TokenResponse = {
    access_token: access.token,
    expires_in: access.expiresIn,
    token_type: 'Bearer',
  };
  if (scopes.includes('openid')) {
    const iat = Math.floor(rt.now() / 1000);
    const idLifetime = client.jwt_configuration?.lifetime_in_seconds ?? DEFAULT_ID_TOKEN_LIFETIME;
    response.id_token = await signJwt(
      rt,
      {
        ...withoutReserved(input.idTokenClaims),
        ...userClaims(user, scopes),
        iss: rt.config.issuer,
        sub: user.user_id,
        aud: client.client_id,
        iat,
        exp: iat + idLifetime,
        ...(input.amr ? { amr: input.amr } : {}),
      },
      client.jwt_configuration?.alg ?? 'RS256',
    );
  }
  if (input.refreshToken) response.refresh_token = input.refreshToken;
  if (input.echoScope) response.scope = scopes.join(' ');
  return orderResponse(response);
}

function withoutReserved(claims: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!claims) return {};
  return Object.fromEntries(Object.entries(claims).filter(([k]) => !RESERVED_CLAIMS.has(k)));
}

/** Auth0's field order, so answers read the same as Auth0's. */
export function orderResponse(r: TokenResponse): TokenResponse {
  const out: Partial<TokenResponse> = { access_token: r.access_token };
  if (r.id_token) out.id_token = r.id_token;
  if (r.refresh_token) out.refresh_token = r.refresh_token;
  if (r.scope !== undefined) out.scope = r.scope;
  out.expires_in = r.expires_in;
  out.token_type = r.token_type;
  return out as TokenResponse;
}
