import { GRANT_TYPES } from '../../schemas/grant-types.js';
import { clientCredentialsGrant } from './client-credentials.js';
import { mfaOobGrant } from './mfa-oob.js';
import { mfaOtpGrant } from './mfa-otp.js';
import { mfaRecoveryCodeGrant } from './mfa-recovery-code.js';
import { passwordGrant } from './password.js';
import { passwordRealmGrant } from './password-realm.js';
import { refreshTokenGrant } from './refresh-token.js';
import type { Grant } from './types.js';

/**
 * The registry keyed by grant_type, checked to serve exactly the names of
 * `schemas/grant-types.ts` (which the tenant schema and mfa/ use): a grant
 * added to one and not the other fails at startup.
 */
export function grantRegistry(grants: readonly Grant[]): ReadonlyMap<string, Grant> {
  const map = new Map(grants.map((g) => [g.grantType as string, g]));
  const missing = GRANT_TYPES.filter((t) => !map.has(t));
  if (map.size !== grants.length || map.size !== GRANT_TYPES.length || missing.length > 0) {
    throw new Error(
      `The grant registry must serve each of GRANT_TYPES once (missing: ${missing.join(', ') || 'none'})`,
    );
  }
  return map;
}

/** Every grant the token endpoint serves, keyed by grant_type. The one place a grant is wired in. */
export const GRANTS: ReadonlyMap<string, Grant> = grantRegistry([
  passwordGrant,
  passwordRealmGrant,
  refreshTokenGrant,
  clientCredentialsGrant,
  mfaOtpGrant,
  mfaOobGrant,
  mfaRecoveryCodeGrant,
]);
