import { OAuthError } from '../oauth/errors.js';

/** MFA's answers, with Auth0's codes and texts (spec section 5). */
export const mfaErrors = {
  malformedToken: () => new OAuthError(403, 'invalid_grant', 'Malformed mfa_token'),
  expiredToken: () => new OAuthError(403, 'expired_token', 'mfa_token is expired'),
  invalidOtp: () => new OAuthError(403, 'invalid_grant', 'Invalid otp_code.'),
  malformedOob: () => new OAuthError(403, 'invalid_grant', 'Malformed oob_code'),
  expiredOob: () => new OAuthError(403, 'expired_token', 'oob_code is expired'),
  invalidBinding: () => new OAuthError(403, 'invalid_grant', 'Invalid binding_code.'),
  pending: () =>
    new OAuthError(
      400,
      'authorization_pending',
      'Authorization pending: please repeat the request in a few seconds.',
    ),
  slowDown: () =>
    new OAuthError(400, 'slow_down', 'You are polling faster than allowed: wait 5 seconds between requests.'),
  invalidRecovery: () => new OAuthError(403, 'invalid_grant', 'Invalid recovery code.'),
  noRecoveryCode: () =>
    new OAuthError(400, 'unsupported_challenge_type', 'User does not have a recovery-code.'),
  notEnrolled: () =>
    new OAuthError(
      400,
      'unsupported_challenge_type',
      'User is not enrolled. You can use /mfa/associate endpoint to enroll the first authenticator.',
    ),
  noFactor: (type: string) =>
    new OAuthError(400, 'unsupported_challenge_type', `The user has no active ${type} authenticator.`),
  alreadyEnrolled: () => new OAuthError(403, 'access_denied', 'User is already enrolled'),
  insufficientScope: (scope: string) =>
    new OAuthError(
      403,
      'insufficient_scope',
      `This needs an access token for the MFA API with the scope ${scope}`,
      {},
      { 'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${scope}"` },
    ),
  /** RFC 9470's step-up answer: the token's login did not include a second factor. */
  mfaStepUpRequired: () =>
    new OAuthError(
      401,
      'insufficient_user_authentication',
      'The user has an active authenticator: this needs an access token for the MFA API obtained with multifactor authentication.',
      {},
      { 'WWW-Authenticate': 'Bearer error="insufficient_user_authentication"' },
    ),
  factorDisabled: (factor: string) =>
    new OAuthError(
      400,
      'invalid_request',
      `The ${factor} factor is not enabled for this tenant (guardian.factors.${factor})`,
    ),
  /** A code went out less than the send interval ago (to this user, from any login). */
  sendTooSoon: (retryAfterS: number) =>
    new OAuthError(
      429,
      'too_many_requests',
      'A code was sent a moment ago: wait before asking for another one.',
      {},
      { 'Retry-After': String(retryAfterS) },
    ),
  /** This mfa_token has had all its codes. */
  sendsSpent: (retryAfterS: number) =>
    new OAuthError(
      429,
      'too_many_requests',
      'Too many codes were sent for this login: log in again to get a new one.',
      {},
      { 'Retry-After': String(retryAfterS) },
    ),
  /** The bucket of MFA attempts is empty; one is back within `retryAfterS`. */
  tooManyAttempts: (retryAfterS: number) =>
    new OAuthError(
      429,
      'too_many_attempts',
      'Too many failed MFA verifications: wait a few minutes and try again.',
      {},
      { 'Retry-After': String(retryAfterS) },
    ),
  clientMismatch: () => new OAuthError(403, 'invalid_grant', 'Malformed mfa_token'),
  clientCannotMfa: () =>
    new OAuthError(
      403,
      'unauthorized_client',
      'Multifactor authentication is required, but the client may not use any MFA grant: add http://auth0.com/oauth/grant-type/mfa-otp (and -oob, -recovery-code) to its grant_types.',
    ),
  noFactorsEnabled: () =>
    new OAuthError(
      403,
      'access_denied',
      'Multifactor authentication is required, but no MFA factor is enabled: enable one under guardian.factors.',
    ),
} as const;
