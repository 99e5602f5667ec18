import type { ResourceServer } from '../store/repos/resource-servers.js';

/** The OpenID Connect scopes Tessera understands (not API scopes). */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access'] as const;
const OIDC = new Set<string>(OIDC_SCOPES);

/** Splits a space-separated scope parameter, dropping empties and duplicates. */
export function parseScope(scope: string | undefined): string[] {
  if (!scope) return [];
  return [...new Set(scope.split(' ').filter(Boolean))];
}

export interface ScopeDecision {
  granted: string[];
  /** True when the response must echo `scope` (granted differs from requested). */
  differs: boolean;
}

/**
 * Decides the granted scopes, as Auth0 does: `openid` alone expands to the
 * standard profile scopes; API scopes that the API defines are granted as
 * requested, and all of them when none was requested; unknown scopes are
 * dropped. With RBAC (`enforce_policies`) the same choice is narrowed to the
 * user's permissions once the user is known (narrowToPermissions).
 * `offline_access` survives only when a refresh token will be issued.
 */
export function decideScopes(
  requested: string[],
  api: ResourceServer | undefined,
  opts: { allowOffline: boolean },
): ScopeDecision {
  const wanted =
    requested.length === 1 && requested[0] === 'openid'
      ? ['openid', 'profile', 'email', 'address', 'phone']
      : requested;
  const oidc = wanted.filter((s) => OIDC.has(s) && (s !== 'offline_access' || opts.allowOffline));
  let apiScopes: string[] = [];
  if (api) {
    const defined = api.scopes.map((s) => s.value);
    const asked = wanted.filter((s) => defined.includes(s));
    apiScopes = asked.length > 0 ? asked : defined;
  }
  const granted = [...oidc, ...apiScopes];
  return { granted, differs: granted.join(' ') !== requested.join(' ') };
}

/**
 * RBAC (`enforce_policies`): keeps the OIDC scopes and only the API scopes the
 * user holds a permission for. The API scopes were chosen by decideScopes
 * (or are a refresh family's), so no permission for a scope the API no
 * longer defines can slip in.
 */
export function narrowToPermissions(granted: string[], permissions: string[]): string[] {
  const held = new Set(permissions);
  return granted.filter((s) => OIDC.has(s) || held.has(s));
}

/** The API's scopes that a permission list may name (the `permissions` claim). */
export function definedPermissions(api: ResourceServer, permissions: string[]): string[] {
  const defined = new Set(api.scopes.map((s) => s.value));
  return permissions.filter((p) => defined.has(p));
}
