/**
 * The grant types a client may list, by Auth0's names. The token endpoint's
 * registry (`oauth/grants/index.ts`) serves exactly these: it checks so when
 * it is built, and a test keeps the two in step. Kept at the bottom layer so
 * that schemas and the domain (`mfa/settings.ts`) need not import oauth/.
 */
export const GRANT_TYPE = {
  password: 'password',
  refreshToken: 'refresh_token',
  clientCredentials: 'client_credentials',
  passwordRealm: 'http://auth0.com/oauth/grant-type/password-realm',
  mfaOtp: 'http://auth0.com/oauth/grant-type/mfa-otp',
  mfaOob: 'http://auth0.com/oauth/grant-type/mfa-oob',
  mfaRecoveryCode: 'http://auth0.com/oauth/grant-type/mfa-recovery-code',
} as const;

export type GrantType = (typeof GRANT_TYPE)[keyof typeof GRANT_TYPE];

const [first, ...rest] = Object.values(GRANT_TYPE);

/** Every grant type, in the order the schemas list them. */
export const GRANT_TYPES: readonly [GrantType, ...GrantType[]] = [first!, ...rest];
