import type { ResourceServer } from '../store/repos/resource-servers.js';

// What issuing and checking tokens needs of scopes: the OIDC scope names, the
// `scope` string's split, and the RBAC narrowing. The token request's choice of
// scopes (decideScopes) is the protocol's, in oauth/scopes.ts.

/** The OpenID Connect scopes Tessera understands (not API scopes). */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access'] as const;
const OIDC = new Set<string>(OIDC_SCOPES);

/** Splits a space-separated scope parameter, dropping empties and duplicates. */
export function parseScope(scope: string | undefined): string[] {
  if (!scope) return [];
  return [...new Set(scope.split(' ').filter(Boolean))];
}

/**
 * RBAC (`enforce_policies`): keeps the OIDC scopes and only the API scopes the
 * user holds a permission for. The API scopes were chosen by decideScopes
 * (oauth/scopes.ts; or are a refresh family's), so no permission for a scope the API no
 * longer defines can slip in.
 */
export function narrowToPermissions(granted: string[], permissions: string[]): string[] {
  const held = new Set(permissions);
  return granted.filter((s) => OIDC.has(s) || held.has(s));
}

/** Each API's scope names as a set, by its scopes list (scopeNamesOf). */
const namesOf = new WeakMap<ResourceServer['scopes'], ReadonlySet<string>>();

/**
 * The API's scope names as a set. The rows come from the configuration
 * cache, so a login does not build it again: what a login does with scopes
 * costs what it asks and holds, not what the API defines.
 */
export function scopeNamesOf(api: ResourceServer): ReadonlySet<string> {
  let names = namesOf.get(api.scopes);
  if (!names) {
    names = new Set(api.scopes.map((s) => s.value));
    namesOf.set(api.scopes, names);
  }
  return names;
}

/** The API's scopes that a permission list may name (the `permissions` claim). */
export function definedPermissions(api: ResourceServer, permissions: string[]): string[] {
  const defined = scopeNamesOf(api);
  return permissions.filter((p) => defined.has(p));
}
