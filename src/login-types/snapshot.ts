import type { MetadataPatch } from '../store/repos/user-metadata.js';

/**
 * A password login waiting for its second factor, as the MFA transaction
 * stores it (JSON): everything needed to give the answer the password grant
 * would have given (same API, scopes, refresh token, the rules' claims),
 * without the password. Made by login/build.ts `snapshotLogin`, restored by
 * its `restoredLogin`; the field names are stored, so they stay.
 */
export interface LoginSnapshot {
  userId: string;
  clientId: string;
  connectionId: string;
  audience: string | null;
  grantType: string;
  requestedScopes: string[];
  scopes: string[];
  echoScope: boolean;
  refresh: boolean;
  accessTokenClaims: Record<string, unknown>;
  idTokenClaims: Record<string, unknown>;
  username: string;
  /** Metadata the rules asked to write, written once the second factor is verified. */
  metadataPatch?: MetadataPatch;
  /** The login already completed MFA (an enrolment through an access token that carries it). */
  mfa?: boolean;
}
