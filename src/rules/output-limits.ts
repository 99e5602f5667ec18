import { type RulesLimits, type ScriptId, ScriptFailure } from './types.js';

/**
 * The caps on what scripts add to a login (defaults in DEFAULT_RULES_LIMITS):
 * past them the login fails closed (ScriptFailure: 403 access_denied, the
 * script and the cause in the audit event), so no rule can make a token, a
 * response or a log line as large as it likes. Checked on what the script
 * handed back before anything is logged about it, and again on the token's
 * claims once merged (actions add to what earlier scripts set).
 */

/** Fails the login when `claims` (one token's custom claims) are too many or too large. */
export function checkClaims(
  id: ScriptId,
  token: 'access' | 'id',
  claims: Record<string, unknown>,
  limits: RulesLimits,
): void {
  const which = token === 'access' ? 'access token' : 'ID token';
  const count = Object.keys(claims).length;
  if (count > limits.maxClaims) {
    throw new ScriptFailure(id, `set ${count} custom claims on the ${which} (at most ${limits.maxClaims})`);
  }
  const bytes = Buffer.byteLength(JSON.stringify(claims) ?? '');
  if (bytes > limits.maxClaimsBytes) {
    throw new ScriptFailure(
      id,
      `set ${bytes} bytes of custom claims on the ${which} (at most ${limits.maxClaimsBytes}, as JSON)`,
    );
  }
}

/** Fails the login when the scopes scripts grant are too many or their `scope` string too long. */
export function checkScopes(id: ScriptId, scopes: readonly unknown[], limits: RulesLimits): void {
  if (scopes.length > limits.maxScopes) {
    throw new ScriptFailure(id, `granted ${scopes.length} scopes (at most ${limits.maxScopes})`);
  }
  const chars = scopes.reduce<number>((n, s) => n + 1 + (typeof s === 'string' ? s.length : 0), -1);
  if (chars > limits.maxScopeChars) {
    throw new ScriptFailure(
      id,
      `granted a scope string of ${chars} characters (at most ${limits.maxScopeChars})`,
    );
  }
}

/** The provider name of an MFA request: a short identifier (`any`, `guardian`, …), else the login fails. */
export function checkProvider(id: ScriptId, provider: string): string {
  if (!/^[\w.-]{1,64}$/.test(provider)) {
    throw new ScriptFailure(
      id,
      'asked for MFA with a provider that is not a name of at most 64 letters, digits, ".", "_" or "-"',
    );
  }
  return provider;
}
