import { passwordGrant } from './password.js';
import { passwordRealmGrant } from './password-realm.js';
import type { Grant } from './types.js';

/** Every grant the token endpoint serves, keyed by grant_type. The one place a grant is wired in. */
export const GRANTS: ReadonlyMap<string, Grant> = new Map(
  [passwordGrant, passwordRealmGrant].map((g) => [g.grantType, g]),
);
