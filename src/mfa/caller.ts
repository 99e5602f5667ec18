import type { Runtime } from '../runtime.js';
import { OAuthError } from '../oauth/errors.js';
import { bearerToken, verifyAccessToken } from '../oauth/access-token.js';
import { parseScope } from '../oauth/scopes.js';
import { type MfaTransaction, loadMfaTransaction } from './transactions.js';

/** Who calls an /mfa/* endpoint: a pending login's mfa_token, or an access token for the MFA API. */
export interface MfaCaller {
  userId: string;
  clientId: string;
  /** Set when the caller used an mfa_token. */
  tx?: MfaTransaction;
  /** The MFA API scopes of an access token (`enroll`, `read:authenticators`, `remove:authenticators`). */
  scopes: string[];
}

/** The MFA API's audience: `<issuer>mfa/`. */
export function mfaAudience(rt: Runtime): string {
  return `${rt.config.issuer}mfa/`;
}

/**
 * Reads the Bearer credential of an /mfa/* request: a JWT is an access
 * token that must be for the MFA API; anything else is an mfa_token.
 */
export async function mfaCaller(rt: Runtime, authorization: string | undefined): Promise<MfaCaller> {
  const token = bearerToken(authorization);
  if (token.split('.').length === 3) {
    const p = await verifyAccessToken(rt, token, mfaAudience(rt));
    return {
      userId: String(p.sub),
      clientId: String(p.azp),
      scopes: parseScope(typeof p.scope === 'string' ? p.scope : ''),
    };
  }
  const tx = await loadMfaTransaction(rt, token);
  return { userId: tx.login.userId, clientId: tx.login.clientId, tx, scopes: [] };
}

/** Requires an access-token scope (an mfa_token is allowed where `orMfaToken`). */
export function requireScope(caller: MfaCaller, scope: string, orMfaToken: boolean): void {
  if (caller.tx && orMfaToken) return;
  if (!caller.scopes.includes(scope)) {
    throw new OAuthError(
      403,
      'insufficient_scope',
      `This needs an access token for the MFA API with the scope ${scope}`,
      {},
      {
        'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${scope}"`,
      },
    );
  }
}
