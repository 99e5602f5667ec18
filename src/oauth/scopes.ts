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
 * dropped. With RBAC (`enforce_policies`) only the user's permissions would
 * count, and Tessera has no permissions yet, so none is granted.
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
  if (api && !api.enforce_policies) {
    const defined = api.scopes.map((s) => s.value);
    const asked = wanted.filter((s) => defined.includes(s));
    apiScopes = asked.length > 0 ? asked : defined;
  }
  const granted = [...oidc, ...apiScopes];
  return { granted, differs: granted.join(' ') !== requested.join(' ') };
}
