/**
 * The grant types a client may list, by Auth0's names. The token endpoint's
 * registry (`oauth/grants/index.ts`) serves exactly these; a test keeps the
 * two in step. Kept at the bottom layer so that schemas need not import oauth/.
 */
export const GRANT_TYPES = [
  'password',
  'refresh_token',
  'client_credentials',
  'http://auth0.com/oauth/grant-type/password-realm',
  'http://auth0.com/oauth/grant-type/mfa-otp',
  'http://auth0.com/oauth/grant-type/mfa-oob',
  'http://auth0.com/oauth/grant-type/mfa-recovery-code',
] as const;

export type GrantType = (typeof GRANT_TYPES)[number];
