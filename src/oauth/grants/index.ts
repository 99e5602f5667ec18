import { clientCredentialsGrant } from './client-credentials.js';
import { mfaOobGrant } from './mfa-oob.js';
import { mfaOtpGrant } from './mfa-otp.js';
import { mfaRecoveryCodeGrant } from './mfa-recovery-code.js';
import { passwordGrant } from './password.js';
import { passwordRealmGrant } from './password-realm.js';
import { refreshTokenGrant } from './refresh-token.js';
import type { Grant } from './types.js';

/** Every grant the token endpoint serves, keyed by grant_type. The one place a grant is wired in. */
export const GRANTS: ReadonlyMap<string, Grant> = new Map(
  [
    passwordGrant,
    passwordRealmGrant,
    refreshTokenGrant,
    clientCredentialsGrant,
    mfaOtpGrant,
    mfaOobGrant,
    mfaRecoveryCodeGrant,
  ].map((g) => [g.grantType, g]),
);
