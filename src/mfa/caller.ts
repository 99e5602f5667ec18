import type { Runtime } from '../runtime.js';
import { errors } from '../errors/index.js';
import { bearerToken, verifyAccessToken } from '../tokens/access-token.js';
import { parseScope } from '../tokens/scopes.js';
import { mfaAudience } from './settings.js';
import { type MfaTransaction, loadMfaTransaction } from './transactions.js';

/** Who calls an /mfa/* endpoint: a pending login's mfa_token, or an access token for the MFA API. */
export interface MfaCaller {
  userId: string;
  clientId: string;
  /** Set when the caller used an mfa_token. */
  tx?: MfaTransaction;
  /** The MFA API scopes of an access token (`enroll`, `read:authenticators`, `remove:authenticators`). */
  scopes: string[];
  /** An access token whose login completed a second factor (`amr` has `mfa`). */
  mfa: boolean;
  /** The access token itself (it stands for its own enrolment transaction), and when it expires. */
  accessToken?: { token: string; expiresAt: number };
}

/**
 * Reads the Bearer credential of an /mfa/* request: a JWT is an access
 * token that must be for the MFA API and a user; anything else is an mfa_token.
 */
export async function mfaCaller(rt: Runtime, authorization: string | undefined): Promise<MfaCaller> {
  const token = bearerToken(authorization);
  if (token.split('.').length === 3) {
    const p = await verifyAccessToken(rt, token, mfaAudience(rt));
    // A machine token (client_credentials) names a client, not a user with authenticators.
    if (p.gty === 'client-credentials')
      throw errors.invalidToken('The MFA API needs an access token of a user');
    return {
      userId: String(p.sub),
      clientId: String(p.azp),
      scopes: parseScope(typeof p.scope === 'string' ? p.scope : ''),
      mfa: Array.isArray(p.amr) && p.amr.includes('mfa'),
      accessToken: { token, expiresAt: (p.exp ?? 0) * 1000 },
    };
  }
  const tx = await loadMfaTransaction(rt, token);
  return { userId: tx.login.userId, clientId: tx.login.clientId, tx, scopes: [], mfa: false };
}
