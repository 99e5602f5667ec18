/**
 * The one error type that becomes an HTTP answer. `detail` is for logs only
 * and never reaches the client.
 */
export class OAuthError extends Error {
  override name = 'OAuthError';
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
    readonly detail?: string,
  ) {
    super(`${error}: ${description}`);
  }

  /** The JSON body: `{error, error_description, …extra}`. */
  body(): Record<string, unknown> {
    return { error: this.error, error_description: this.description, ...this.extra };
  }
}

/** The catalogue: every error the server answers with, by meaning. */
export const errors = {
  invalidRequest: (description: string) => new OAuthError(400, 'invalid_request', description),
  missingParameter: (name: string) =>
    new OAuthError(400, 'invalid_request', `Missing required parameter: ${name}`),
  duplicateParameter: (name: string) =>
    new OAuthError(400, 'invalid_request', `Parameter ${name} must not be sent more than once`),
  malformedParameter: (name: string, why = 'must be a string') =>
    new OAuthError(400, 'invalid_request', `Invalid parameter ${name}: ${why}`),
  unsupportedGrantType: (grantType: string) =>
    new OAuthError(501, 'unsupported_grant_type', `Unsupported grant type: ${grantType}`),
  clientAuthFailed: (detail: string) => new OAuthError(401, 'access_denied', 'Unauthorized', {}, {}, detail),
  /** RFC 6749's answer to bad client credentials, used outside /oauth/token (revoke, introspect). */
  invalidClient: (detail: string) =>
    new OAuthError(401, 'invalid_client', 'Client authentication failed', {}, {}, detail),
  unauthorizedClient: (grantType: string) =>
    new OAuthError(403, 'unauthorized_client', `Grant type '${grantType}' not allowed for the client.`),
  wrongCredentials: (detail: string) =>
    new OAuthError(403, 'invalid_grant', 'Wrong email or password.', {}, {}, detail),
  userBlocked: () => new OAuthError(401, 'unauthorized', 'user is blocked'),
  /** A refresh for a user an admin blocked (Auth0's answer). */
  refreshUserBlocked: () => new OAuthError(403, 'invalid_grant', 'user is blocked', {}, {}, 'user blocked'),
  /** A refresh for a user deleted since the token was issued (Auth0's text). */
  refreshUserDeleted: () =>
    new OAuthError(
      403,
      'invalid_grant',
      "The refresh_token was generated for a user who doesn't exist anymore.",
      {},
      {},
      'user deleted',
    ),
  /**
   * Brute-force protection blocked this identifier (from this IP). Auth0
   * always says an email went out; Tessera says so only when the
   * `user_notification` shield sends one. No time helps but an unblock:
   * `retryAfterS` is when asking again is reasonable.
   */
  tooManyAttempts: (opts: { notified: boolean; retryAfterS: number }) =>
    new OAuthError(
      429,
      'too_many_attempts',
      opts.notified
        ? "Your account has been blocked after multiple consecutive login attempts. We've sent you an email with instructions on how to unblock it."
        : 'Your account has been blocked after multiple consecutive login attempts.',
      {},
      { 'Retry-After': String(opts.retryAfterS) },
    ),
  /** Suspicious IP throttling: this IP failed too many logins across accounts; an attempt is back within `retryAfterS`. */
  suspiciousIp: (retryAfterS: number) =>
    new OAuthError(
      429,
      'too_many_attempts',
      'We have detected suspicious login behavior and further attempts will be blocked. Please contact the administrator.',
      {},
      { 'Retry-After': String(retryAfterS) },
    ),
  /** Breached password detection with the block shield (Auth0's text, with its typographic apostrophe). */
  passwordLeaked: () =>
    new OAuthError(
      401,
      'password_leaked',
      'This login has been blocked because your password has been leaked in another website. We’ve sent you an email with instructions on how to unblock it.',
    ),
  malformedHeader: (name: string, why: string) =>
    new OAuthError(400, 'invalid_request', `Invalid header ${name}: ${why}`),
  /** A parameter or header with NUL or invalid UTF-8 (`name` already made safe to show). */
  notText: (kind: 'parameter' | 'header', name: string) =>
    new OAuthError(
      400,
      'invalid_request',
      `Invalid ${kind} ${name}: must be UTF-8 text without NUL characters`,
    ),
  invalidScope: (description: string) => new OAuthError(400, 'invalid_scope', description),
  /** `scope` sent as something else than a string or an array of scope names (Auth0's text). */
  scopeNotString: () => new OAuthError(400, 'invalid_scope', 'Scope must be an array or a string'),
  accessDenied: (description: string) => new OAuthError(403, 'access_denied', description),
  /** A rule or action made app_metadata or user_metadata larger than Auth0's 16 KB. */
  metadataTooLarge: (field: string) =>
    new OAuthError(
      403,
      'access_denied',
      `The login was refused because a rule or action made the user's ${field} larger than 16 KB.`,
    ),
  /** A rule called back with `UnauthorizedError(message)`. */
  ruleUnauthorized: (message: string) => new OAuthError(401, 'unauthorized', message),
  /** A rule or action asked for a redirect, which the password flow cannot do. */
  interactionRequired: (description: string) => new OAuthError(403, 'interaction_required', description),
  /** A rule or action threw, timed out, ran out of memory or did not compile: fail closed (`detail`: which, and why). */
  ruleFailed: (detail: string) =>
    new OAuthError(
      403,
      'access_denied',
      'The login was refused because a rule or action failed.',
      {},
      {},
      detail,
    ),
  notFound: (description = 'Not found') => new OAuthError(404, 'not_found', description),
  noDefaultConnection: () =>
    new OAuthError(500, 'server_error', 'Authorization server not configured with default connection.'),
  /** A dependency (database, disk, Redis) cannot serve now (`detail`: which, and why); the client may retry after `retryAfterSeconds`. */
  temporarilyUnavailable: (retryAfterSeconds: number, detail?: string) =>
    new OAuthError(
      503,
      'temporarily_unavailable',
      'The service is temporarily unavailable. Try again later.',
      {},
      { 'Retry-After': String(retryAfterSeconds) },
      detail,
    ),
  /** The server is closing (SIGTERM): another node, or this one restarted, will answer. */
  shuttingDown: (retryAfterSeconds: number) =>
    new OAuthError(
      503,
      'temporarily_unavailable',
      'The server is shutting down. Try again later.',
      {},
      { 'Retry-After': String(retryAfterSeconds), Connection: 'close' },
    ),
  serverError: (detail?: string) =>
    new OAuthError(500, 'server_error', 'The server encountered an unexpected error.', {}, {}, detail),
  invalidToken: (description: string) =>
    new OAuthError(
      401,
      'invalid_token',
      description,
      {},
      {
        'WWW-Authenticate': `Bearer error="invalid_token", error_description="${description.replace(/"/g, "'")}"`,
      },
    ),
  missingToken: () =>
    new OAuthError(401, 'invalid_request', 'Missing access token', {}, { 'WWW-Authenticate': 'Bearer' }),
  insufficientScope: (scope: string) =>
    new OAuthError(
      403,
      'insufficient_scope',
      `The access token lacks the scope ${scope}`,
      {},
      {
        'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${scope}"`,
      },
    ),
} as const;
