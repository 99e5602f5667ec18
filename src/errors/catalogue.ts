import { TesseraError, type TesseraErrorOptions } from './tessera-error.js';

/**
 * The stable codes of the errors the server answers with, by meaning. The
 * text is Auth0's where Auth0 has one; status, OAuth `error` and headers are
 * the edges' business (`http/oauth-wire.ts`).
 */
export type ErrorCode =
  | 'ERR_INVALID_REQUEST'
  | 'ERR_MISSING_PARAMETER'
  | 'ERR_DUPLICATE_PARAMETER'
  | 'ERR_MALFORMED_PARAMETER'
  | 'ERR_MALFORMED_HEADER'
  | 'ERR_NOT_TEXT'
  | 'ERR_UNSUPPORTED_GRANT_TYPE'
  | 'ERR_CLIENT_AUTH_FAILED'
  | 'ERR_INVALID_CLIENT'
  | 'ERR_UNAUTHORIZED_CLIENT'
  | 'ERR_WRONG_CREDENTIALS'
  | 'ERR_USER_BLOCKED'
  | 'ERR_REFRESH_USER_BLOCKED'
  | 'ERR_REFRESH_USER_DELETED'
  | 'ERR_INVALID_REFRESH_TOKEN'
  | 'ERR_TOO_MANY_ATTEMPTS'
  | 'ERR_SUSPICIOUS_IP'
  | 'ERR_PASSWORD_LEAKED'
  | 'ERR_INVALID_SCOPE'
  | 'ERR_SCOPE_NOT_STRING'
  | 'ERR_ACCESS_DENIED'
  | 'ERR_METADATA_TOO_LARGE'
  | 'ERR_RULE_UNAUTHORIZED'
  | 'ERR_INTERACTION_REQUIRED'
  | 'ERR_RULE_FAILED'
  | 'ERR_NOT_FOUND'
  | 'ERR_NO_DEFAULT_CONNECTION'
  | 'ERR_DEFAULT_CONNECTION_DISABLED'
  | 'ERR_TEMPORARILY_UNAVAILABLE'
  | 'ERR_SHUTTING_DOWN'
  | 'ERR_SERVER'
  | 'ERR_INVALID_TOKEN'
  | 'ERR_MISSING_TOKEN'
  | 'ERR_INSUFFICIENT_SCOPE'
  | 'ERR_MFA_REQUIRED'
  | 'ERR_MFA_MALFORMED_TOKEN'
  | 'ERR_MFA_EXPIRED_TOKEN'
  | 'ERR_MFA_INVALID_OTP'
  | 'ERR_MFA_MALFORMED_OOB'
  | 'ERR_MFA_EXPIRED_OOB'
  | 'ERR_MFA_INVALID_BINDING'
  | 'ERR_MFA_PENDING'
  | 'ERR_MFA_SLOW_DOWN'
  | 'ERR_MFA_INVALID_RECOVERY'
  | 'ERR_MFA_NO_RECOVERY_CODE'
  | 'ERR_MFA_NOT_ENROLLED'
  | 'ERR_MFA_NO_FACTOR'
  | 'ERR_MFA_ALREADY_ENROLLED'
  | 'ERR_MFA_INSUFFICIENT_SCOPE'
  | 'ERR_MFA_STEP_UP_REQUIRED'
  | 'ERR_MFA_FACTOR_DISABLED'
  | 'ERR_MFA_SEND_TOO_SOON'
  | 'ERR_MFA_SENDS_SPENT'
  | 'ERR_MFA_TOO_MANY_ATTEMPTS'
  | 'ERR_MFA_CLIENT_MISMATCH'
  | 'ERR_MFA_CLIENT_CANNOT_MFA'
  | 'ERR_MFA_NO_FACTORS_ENABLED';

/** An error of the catalogue: a code from `ErrorCode`. */
export class CodedError extends TesseraError<ErrorCode> {
  override name = 'CodedError';
}

const e = (code: ErrorCode, message: string, options?: TesseraErrorOptions) =>
  new CodedError(code, message, options);

/** The catalogue: every error the server answers with, by meaning. */
export const errors = {
  invalidRequest: (description: string) => e('ERR_INVALID_REQUEST', description),
  missingParameter: (name: string) => e('ERR_MISSING_PARAMETER', `Missing required parameter: ${name}`),
  duplicateParameter: (name: string) =>
    e('ERR_DUPLICATE_PARAMETER', `Parameter ${name} must not be sent more than once`),
  malformedParameter: (name: string, why = 'must be a string') =>
    e('ERR_MALFORMED_PARAMETER', `Invalid parameter ${name}: ${why}`),
  unsupportedGrantType: (grantType: string) =>
    e('ERR_UNSUPPORTED_GRANT_TYPE', `Unsupported grant type: ${grantType}`),
  clientAuthFailed: (detail: string) => e('ERR_CLIENT_AUTH_FAILED', 'Unauthorized', { detail }),
  /** RFC 6749's answer to bad client credentials, used outside /oauth/token (revoke, introspect). */
  invalidClient: (detail: string) => e('ERR_INVALID_CLIENT', 'Client authentication failed', { detail }),
  unauthorizedClient: (grantType: string) =>
    e('ERR_UNAUTHORIZED_CLIENT', `Grant type '${grantType}' not allowed for the client.`),
  wrongCredentials: (detail: string) => e('ERR_WRONG_CREDENTIALS', 'Wrong email or password.', { detail }),
  userBlocked: () => e('ERR_USER_BLOCKED', 'user is blocked'),
  /** A refresh for a user an admin blocked (Auth0's answer). */
  refreshUserBlocked: () => e('ERR_REFRESH_USER_BLOCKED', 'user is blocked', { detail: 'user blocked' }),
  /** A refresh for a user deleted since the token was issued (Auth0's text). */
  refreshUserDeleted: () =>
    e('ERR_REFRESH_USER_DELETED', "The refresh_token was generated for a user who doesn't exist anymore.", {
      detail: 'user deleted',
    }),
  /** A refresh token unknown, expired, revoked or for another client (`detail`: which). */
  invalidRefreshToken: (detail: string) =>
    e('ERR_INVALID_REFRESH_TOKEN', 'Unknown or invalid refresh token.', { detail }),
  /**
   * Brute-force protection blocked this identifier (from this IP). Auth0
   * always says an email went out; Tessera says so only when the
   * `user_notification` shield sends one. No time helps but an unblock:
   * `retryAfterS` is when asking again is reasonable.
   */
  tooManyAttempts: (opts: { notified: boolean; retryAfterS: number }) =>
    e(
      'ERR_TOO_MANY_ATTEMPTS',
      opts.notified
        ? "Your account has been blocked after multiple consecutive login attempts. We've sent you an email with instructions on how to unblock it."
        : 'Your account has been blocked after multiple consecutive login attempts.',
      { params: { retryAfterS: opts.retryAfterS } },
    ),
  /** Suspicious IP throttling: this IP failed too many logins across accounts; an attempt is back within `retryAfterS`. */
  suspiciousIp: (retryAfterS: number) =>
    e(
      'ERR_SUSPICIOUS_IP',
      'We have detected suspicious login behavior and further attempts will be blocked. Please contact the administrator.',
      { params: { retryAfterS } },
    ),
  /** Breached password detection with the block shield (Auth0's text, with its typographic apostrophe). */
  passwordLeaked: () =>
    e(
      'ERR_PASSWORD_LEAKED',
      'This login has been blocked because your password has been leaked in another website. We’ve sent you an email with instructions on how to unblock it.',
    ),
  malformedHeader: (name: string, why: string) => e('ERR_MALFORMED_HEADER', `Invalid header ${name}: ${why}`),
  /** A parameter or header with NUL or invalid UTF-8 (`name` already made safe to show). */
  notText: (kind: 'parameter' | 'header', name: string) =>
    e('ERR_NOT_TEXT', `Invalid ${kind} ${name}: must be UTF-8 text without NUL characters`),
  invalidScope: (description: string) => e('ERR_INVALID_SCOPE', description),
  /** `scope` sent as something else than a string or an array of scope names (Auth0's text). */
  scopeNotString: () => e('ERR_SCOPE_NOT_STRING', 'Scope must be an array or a string'),
  accessDenied: (description: string) => e('ERR_ACCESS_DENIED', description),
  /** A rule or action made app_metadata or user_metadata larger than Auth0's 16 KB. */
  metadataTooLarge: (field: string) =>
    e(
      'ERR_METADATA_TOO_LARGE',
      `The login was refused because a rule or action made the user's ${field} larger than 16 KB.`,
    ),
  /** A rule called back with `UnauthorizedError(message)`. */
  ruleUnauthorized: (message: string) => e('ERR_RULE_UNAUTHORIZED', message),
  /** A rule or action asked for a redirect, which the password flow cannot do. */
  interactionRequired: (description: string) => e('ERR_INTERACTION_REQUIRED', description),
  /** A rule or action threw, timed out, ran out of memory or did not compile: fail closed (`detail`: which, and why). */
  ruleFailed: (detail: string) =>
    e('ERR_RULE_FAILED', 'The login was refused because a rule or action failed.', { detail }),
  notFound: (description = 'Not found') => e('ERR_NOT_FOUND', description),
  noDefaultConnection: () =>
    e('ERR_NO_DEFAULT_CONNECTION', 'Authorization server not configured with default connection.'),
  defaultConnectionDisabled: () =>
    e('ERR_DEFAULT_CONNECTION_DISABLED', 'The default connection is not enabled for this client.'),
  /** A dependency (database, disk, Redis) cannot serve now (`detail`: which, and why); the client may retry after `retryAfterSeconds`. */
  temporarilyUnavailable: (retryAfterSeconds: number, detail?: string) =>
    e('ERR_TEMPORARILY_UNAVAILABLE', 'The service is temporarily unavailable. Try again later.', {
      detail,
      params: { retryAfterS: retryAfterSeconds },
    }),
  /** The server is closing (SIGTERM): another node, or this one restarted, will answer. */
  shuttingDown: (retryAfterSeconds: number) =>
    e('ERR_SHUTTING_DOWN', 'The server is shutting down. Try again later.', {
      params: { retryAfterS: retryAfterSeconds },
    }),
  serverError: (detail?: string) =>
    e('ERR_SERVER', 'The server encountered an unexpected error.', { detail }),
  invalidToken: (description: string) => e('ERR_INVALID_TOKEN', description),
  missingToken: () => e('ERR_MISSING_TOKEN', 'Missing access token'),
  insufficientScope: (scope: string) =>
    e('ERR_INSUFFICIENT_SCOPE', `The access token lacks the scope ${scope}`, { params: { scope } }),
  /** The login needs a second factor: the client continues with `mfa_token` at an MFA grant. */
  mfaRequired: (mfaToken: string, requirements: Record<string, unknown>) =>
    e('ERR_MFA_REQUIRED', 'Multifactor authentication required', {
      params: { mfa_token: mfaToken, mfa_requirements: requirements },
    }),
} as const;

/** MFA's answers, with Auth0's codes and texts (spec section 5). */
export const mfaErrors = {
  malformedToken: () => e('ERR_MFA_MALFORMED_TOKEN', 'Malformed mfa_token'),
  expiredToken: () => e('ERR_MFA_EXPIRED_TOKEN', 'mfa_token is expired'),
  invalidOtp: () => e('ERR_MFA_INVALID_OTP', 'Invalid otp_code.'),
  malformedOob: () => e('ERR_MFA_MALFORMED_OOB', 'Malformed oob_code'),
  expiredOob: () => e('ERR_MFA_EXPIRED_OOB', 'oob_code is expired'),
  invalidBinding: () => e('ERR_MFA_INVALID_BINDING', 'Invalid binding_code.'),
  pending: () => e('ERR_MFA_PENDING', 'Authorization pending: please repeat the request in a few seconds.'),
  slowDown: () =>
    e('ERR_MFA_SLOW_DOWN', 'You are polling faster than allowed: wait 5 seconds between requests.'),
  invalidRecovery: () => e('ERR_MFA_INVALID_RECOVERY', 'Invalid recovery code.'),
  noRecoveryCode: () => e('ERR_MFA_NO_RECOVERY_CODE', 'User does not have a recovery-code.'),
  notEnrolled: () =>
    e(
      'ERR_MFA_NOT_ENROLLED',
      'User is not enrolled. You can use /mfa/associate endpoint to enroll the first authenticator.',
    ),
  noFactor: (type: string) => e('ERR_MFA_NO_FACTOR', `The user has no active ${type} authenticator.`),
  alreadyEnrolled: () => e('ERR_MFA_ALREADY_ENROLLED', 'User is already enrolled'),
  insufficientScope: (scope: string) =>
    e('ERR_MFA_INSUFFICIENT_SCOPE', `This needs an access token for the MFA API with the scope ${scope}`, {
      params: { scope },
    }),
  /** RFC 9470's step-up answer: the token's login did not include a second factor. */
  mfaStepUpRequired: () =>
    e(
      'ERR_MFA_STEP_UP_REQUIRED',
      'The user has an active authenticator: this needs an access token for the MFA API obtained with multifactor authentication.',
    ),
  factorDisabled: (factor: string) =>
    e(
      'ERR_MFA_FACTOR_DISABLED',
      `The ${factor} factor is not enabled for this tenant (guardian.factors.${factor})`,
    ),
  /** A code went out less than the send interval ago (to this user, from any login). */
  sendTooSoon: (retryAfterS: number) =>
    e('ERR_MFA_SEND_TOO_SOON', 'A code was sent a moment ago: wait before asking for another one.', {
      params: { retryAfterS },
    }),
  /** This mfa_token has had all its codes. */
  sendsSpent: (retryAfterS: number) =>
    e('ERR_MFA_SENDS_SPENT', 'Too many codes were sent for this login: log in again to get a new one.', {
      params: { retryAfterS },
    }),
  /** The bucket of MFA attempts is empty; one is back within `retryAfterS`. */
  tooManyAttempts: (retryAfterS: number) =>
    e('ERR_MFA_TOO_MANY_ATTEMPTS', 'Too many failed MFA verifications: wait a few minutes and try again.', {
      params: { retryAfterS },
    }),
  clientMismatch: () => e('ERR_MFA_CLIENT_MISMATCH', 'Malformed mfa_token'),
  clientCannotMfa: () =>
    e(
      'ERR_MFA_CLIENT_CANNOT_MFA',
      'Multifactor authentication is required, but the client may not use any MFA grant: add http://auth0.com/oauth/grant-type/mfa-otp (and -oob, -recovery-code) to its grant_types.',
    ),
  noFactorsEnabled: () =>
    e(
      'ERR_MFA_NO_FACTORS_ENABLED',
      'Multifactor authentication is required, but no MFA factor is enabled: enable one under guardian.factors.',
    ),
} as const;
