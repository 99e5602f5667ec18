import type { User } from '../store/repos/users.js';

/**
 * The OIDC claims about a user that the granted scopes release, for the ID
 * token and /userinfo: `profile` → name, nickname, picture, given/family
 * name, updated_at; `email` → email, email_verified.
 */
export function userClaims(user: User, scopes: readonly string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  if (scopes.includes('profile')) {
    const p = user.profile;
    const nickname = p.nickname ?? (user.email ? user.email.split('@')[0] : (user.username ?? undefined));
    const name = p.name ?? user.email ?? user.username ?? undefined;
    for (const [k, v] of Object.entries({
      given_name: p.given_name,
      family_name: p.family_name,
      nickname,
      name,
      picture: p.picture,
    })) {
      if (v !== undefined) claims[k] = v;
    }
    claims.updated_at = new Date(user.updated_at).toISOString();
  }
  if (scopes.includes('email') && user.email) {
    claims.email = user.email;
    claims.email_verified = user.email_verified;
  }
  return claims;
}
