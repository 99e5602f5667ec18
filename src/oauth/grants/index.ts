import { clientCredentialsGrant } from './client-credentials.js';
import { passwordGrant } from './password.js';
import { passwordRealmGrant } from './password-realm.js';
import { refreshTokenGrant } from './refresh-token.js';
import type { Grant } from './types.js';

/** Every grant the token endpoint serves, keyed by grant_type. The one place a grant is wired in. */
export const GRANTS: ReadonlyMap<string, Grant> = new Map(
  [passwordGrant, passwordRealmGrant, refreshTokenGrant, clientCredentialsGrant].map((g) => [g.grantType, g]),
);
