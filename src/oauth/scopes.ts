import type { ResourceServer } from '../store/repos/resource-servers.js';
import { OIDC_SCOPES, scopeNamesOf } from '../tokens/scopes.js';

const OIDC = new Set<string>(OIDC_SCOPES);

/** The scopes a token request is granted, and whether its response names them. */
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
    // A set lookup per scope asked: a long `scope` against an API of many scopes stays cheap.
    const defined = scopeNamesOf(api);
    const asked = wanted.filter((s) => defined.has(s));
    apiScopes = asked.length > 0 ? asked : api.scopes.map((s) => s.value);
  }
  const granted = [...oidc, ...apiScopes];
  return { granted, differs: granted.join(' ') !== requested.join(' ') };
}
