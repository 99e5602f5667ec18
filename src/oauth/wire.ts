import { CodedError, type ErrorCode } from '../errors/index.js';

/**
 * An error in the OAuth wire shape (the protocol's dialect): HTTP status, `error`, `error_description`,
 * extra body fields and headers. Only the HTTP edge builds these: from a
 * coded error (`toOAuth`), or directly for Fastify's own request errors.
 * `detail` is for logs only and never reaches the client.
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

type Params = Record<string, unknown>;
interface Wire {
  status: number;
  error: string;
  headers?: (params: Params, description: string) => Record<string, string>;
  /** Body fields besides `error` and `error_description`. */
  extra?: (params: Params) => Record<string, unknown>;
}

const retryAfter = (p: Params) => ({ 'Retry-After': String(p.retryAfterS) });
const insufficientScope = (p: Params) => ({
  'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${String(p.scope)}"`,
});

/** Each code's OAuth answer (Auth0's statuses and `error` codes, spec sections 0 and 5). */
const OAUTH: Record<ErrorCode, Wire> = {
  ERR_INVALID_REQUEST: { status: 400, error: 'invalid_request' },
  ERR_MISSING_PARAMETER: { status: 400, error: 'invalid_request' },
  ERR_DUPLICATE_PARAMETER: { status: 400, error: 'invalid_request' },
  ERR_MALFORMED_PARAMETER: { status: 400, error: 'invalid_request' },
  ERR_MALFORMED_HEADER: { status: 400, error: 'invalid_request' },
  ERR_NOT_TEXT: { status: 400, error: 'invalid_request' },
  ERR_UNSUPPORTED_GRANT_TYPE: { status: 501, error: 'unsupported_grant_type' },
  ERR_CLIENT_AUTH_FAILED: { status: 401, error: 'access_denied' },
  ERR_INVALID_CLIENT: { status: 401, error: 'invalid_client' },
  ERR_UNAUTHORIZED_CLIENT: { status: 403, error: 'unauthorized_client' },
  ERR_WRONG_CREDENTIALS: { status: 403, error: 'invalid_grant' },
  ERR_USER_BLOCKED: { status: 401, error: 'unauthorized' },
  ERR_REFRESH_USER_BLOCKED: { status: 403, error: 'invalid_grant' },
  ERR_REFRESH_USER_DELETED: { status: 403, error: 'invalid_grant' },
  ERR_INVALID_REFRESH_TOKEN: { status: 403, error: 'invalid_grant' },
  ERR_TOO_MANY_ATTEMPTS: { status: 429, error: 'too_many_attempts', headers: retryAfter },
  ERR_SUSPICIOUS_IP: { status: 429, error: 'too_many_attempts', headers: retryAfter },
  ERR_PASSWORD_LEAKED: { status: 401, error: 'password_leaked' },
  ERR_INVALID_SCOPE: { status: 400, error: 'invalid_scope' },
  ERR_SCOPE_NOT_STRING: { status: 400, error: 'invalid_scope' },
  ERR_ACCESS_DENIED: { status: 403, error: 'access_denied' },
  ERR_METADATA_TOO_LARGE: { status: 403, error: 'access_denied' },
  ERR_RULE_UNAUTHORIZED: { status: 401, error: 'unauthorized' },
  ERR_INTERACTION_REQUIRED: { status: 403, error: 'interaction_required' },
  ERR_RULE_FAILED: { status: 403, error: 'access_denied' },
  ERR_NOT_FOUND: { status: 404, error: 'not_found' },
  ERR_NO_DEFAULT_CONNECTION: { status: 500, error: 'server_error' },
  ERR_DEFAULT_CONNECTION_DISABLED: { status: 403, error: 'unauthorized_client' },
  ERR_TEMPORARILY_UNAVAILABLE: { status: 503, error: 'temporarily_unavailable', headers: retryAfter },
  ERR_SHUTTING_DOWN: {
    status: 503,
    error: 'temporarily_unavailable',
    headers: (p) => ({ ...retryAfter(p), Connection: 'close' }),
  },
  ERR_SERVER: { status: 500, error: 'server_error' },
  ERR_INVALID_TOKEN: {
    status: 401,
    error: 'invalid_token',
    headers: (_p, description) => ({
      'WWW-Authenticate': `Bearer error="invalid_token", error_description="${description.replace(/"/g, "'")}"`,
    }),
  },
  ERR_MISSING_TOKEN: {
    status: 401,
    error: 'invalid_request',
    headers: () => ({ 'WWW-Authenticate': 'Bearer' }),
  },
  ERR_INSUFFICIENT_SCOPE: { status: 403, error: 'insufficient_scope', headers: insufficientScope },
  ERR_MFA_REQUIRED: {
    status: 403,
    error: 'mfa_required',
    extra: (p) => ({ mfa_token: p.mfa_token, mfa_requirements: p.mfa_requirements }),
  },
  ERR_MFA_MALFORMED_TOKEN: { status: 403, error: 'invalid_grant' },
  ERR_MFA_EXPIRED_TOKEN: { status: 403, error: 'expired_token' },
  ERR_MFA_INVALID_OTP: { status: 403, error: 'invalid_grant' },
  ERR_MFA_MALFORMED_OOB: { status: 403, error: 'invalid_grant' },
  ERR_MFA_EXPIRED_OOB: { status: 403, error: 'expired_token' },
  ERR_MFA_INVALID_BINDING: { status: 403, error: 'invalid_grant' },
  ERR_MFA_PENDING: { status: 400, error: 'authorization_pending' },
  ERR_MFA_SLOW_DOWN: { status: 400, error: 'slow_down' },
  ERR_MFA_INVALID_RECOVERY: { status: 403, error: 'invalid_grant' },
  ERR_MFA_NO_RECOVERY_CODE: { status: 400, error: 'unsupported_challenge_type' },
  ERR_MFA_NOT_ENROLLED: { status: 400, error: 'unsupported_challenge_type' },
  ERR_MFA_NO_FACTOR: { status: 400, error: 'unsupported_challenge_type' },
  ERR_MFA_ALREADY_ENROLLED: { status: 403, error: 'access_denied' },
  ERR_MFA_INSUFFICIENT_SCOPE: { status: 403, error: 'insufficient_scope', headers: insufficientScope },
  ERR_MFA_STEP_UP_REQUIRED: {
    status: 401,
    error: 'insufficient_user_authentication',
    headers: () => ({ 'WWW-Authenticate': 'Bearer error="insufficient_user_authentication"' }),
  },
  ERR_MFA_FACTOR_DISABLED: { status: 400, error: 'invalid_request' },
  ERR_MFA_SEND_TOO_SOON: { status: 429, error: 'too_many_requests', headers: retryAfter },
  ERR_MFA_SENDS_SPENT: { status: 429, error: 'too_many_requests', headers: retryAfter },
  ERR_MFA_TOO_MANY_ATTEMPTS: { status: 429, error: 'too_many_attempts', headers: retryAfter },
  ERR_MFA_CLIENT_MISMATCH: { status: 403, error: 'invalid_grant' },
  ERR_MFA_CLIENT_CANNOT_MFA: { status: 403, error: 'unauthorized_client' },
  ERR_MFA_NO_FACTORS_ENABLED: { status: 403, error: 'access_denied' },
};

/** The coded error in the OAuth wire shape (an `OAuthError` passes as is); undefined for anything else. */
export function toOAuth(err: unknown): OAuthError | undefined {
  if (err instanceof OAuthError) return err;
  if (!(err instanceof CodedError)) return undefined;
  const w = OAUTH[err.code];
  return new OAuthError(
    w.status,
    w.error,
    err.message,
    w.extra?.(err.params) ?? {},
    w.headers?.(err.params, err.message) ?? {},
    err.detail,
  );
}
