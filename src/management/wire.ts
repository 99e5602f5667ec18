import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AccountError,
  CodedError,
  errors,
  ManagementError,
  type ManagementErrorCode,
  managementErrors,
  StoreError,
  UnavailableError,
} from '../errors/index.js';
import { PasswordPolicyError } from '../identity/password-policy.js';
import { UserError } from '../identity/users.js';
import { toOAuth } from '../oauth/wire.js';

/** Auth0's Management API error body (spec section 11). */
export interface ManagementBody {
  statusCode: number;
  error: string;
  message: string;
  errorCode?: string;
}

/** A Management API error ready to send: status, body, headers. */
export interface ManagementAnswer {
  status: number;
  body: ManagementBody;
  headers: Record<string, string>;
}

/** HTTP reason phrases, as Auth0 puts them in `error`. */
const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

const MANAGEMENT: Record<ManagementErrorCode, { status: number; errorCode: string }> = {
  ERR_MGMT_UNAUTHORIZED: { status: 401, errorCode: 'invalid_token' },
  ERR_MGMT_INSUFFICIENT_SCOPE: { status: 403, errorCode: 'insufficient_scope' },
  ERR_MGMT_INVALID_BODY: { status: 400, errorCode: 'invalid_body' },
  ERR_MGMT_INVALID_QUERY: { status: 400, errorCode: 'invalid_query_string' },
  ERR_MGMT_INVALID_URI: { status: 400, errorCode: 'invalid_uri' },
  ERR_MGMT_NOT_FOUND: { status: 404, errorCode: 'not_found' },
  ERR_MGMT_USER_NOT_FOUND: { status: 404, errorCode: 'inexistent_user' },
  ERR_MGMT_USER_EXISTS: { status: 409, errorCode: 'auth0_idp_error' },
  ERR_MGMT_CONFLICT: { status: 409, errorCode: 'conflict' },
  ERR_MGMT_TOO_MANY_REQUESTS: { status: 429, errorCode: 'too_many_requests' },
};

/** An answer in the management shape. */
export function answer(
  status: number,
  message: string,
  errorCode: string | undefined,
  headers: Record<string, string> = {},
): ManagementAnswer {
  const body: ManagementBody = { statusCode: status, error: REASON[status] ?? 'Error', message };
  if (errorCode) body.errorCode = errorCode;
  return { status, body, headers };
}

function fromManagement(err: ManagementError): ManagementAnswer {
  const w = MANAGEMENT[err.code];
  const errorCode = typeof err.params.errorCode === 'string' ? err.params.errorCode : w.errorCode;
  const headers: Record<string, string> = {};
  if (typeof err.params.retryAfterS === 'number') headers['Retry-After'] = String(err.params.retryAfterS);
  return answer(w.status, err.message, errorCode, headers);
}

/** Fastify's own request errors: validation, body parsing, sizes, media types. */
function fromFastify(err: FastifyError): ManagementAnswer | undefined {
  if (err.validation) {
    const where = err.validationContext;
    const text = err.message;
    if (where === 'querystring') return fromManagement(managementErrors.invalidQuery(text));
    if (where === 'params') return fromManagement(managementErrors.invalidUri(text));
    return fromManagement(managementErrors.invalidBody(text));
  }
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY')
    return answer(400, 'Invalid request payload JSON format', 'invalid_body');
  if (err.code === 'FST_ERR_BAD_URL') return answer(400, 'The request URL is not valid', 'invalid_uri');
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH')
    return answer(414, 'A path parameter is too long', 'invalid_uri');
  if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
    return answer(400, 'The JSON body is empty', 'invalid_body');
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return answer(415, 'Unsupported Media Type: send application/json', 'unsupported_media_type');
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return answer(413, 'The request body is too large', 'payload_too_large');
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500)
    return answer(err.statusCode, 'The request could not be read', 'invalid_request');
  return undefined;
}

/**
 * Any error in the management shape, or undefined for a server fault.
 * Coded errors of `src/errors/` take the status their OAuth mapping gives
 * them (one table of statuses), with their OAuth `error` as `errorCode`.
 */
export function toManagement(err: unknown): ManagementAnswer | undefined {
  if (err instanceof ManagementError) return fromManagement(err);
  if (err instanceof UserError) {
    if (err.kind === 'not_found') return fromManagement(managementErrors.userNotFound());
    if (err.kind === 'conflict') return fromManagement(managementErrors.userExists(err.message));
    return fromManagement(managementErrors.invalidBody(err.message));
  }
  if (err instanceof PasswordPolicyError)
    return answer(
      400,
      `PasswordStrengthError: Password is too weak: ${err.failures.join('; ')}`,
      'invalid_body',
    );
  if (err instanceof AccountError) return answer(400, err.message, err.code);
  if (err instanceof StoreError && err.code !== 'ERR_STORE_UNIQUE')
    return answer(
      400,
      'A field holds a value that cannot be stored (NUL character or too long)',
      'invalid_body',
    );
  if (err instanceof UnavailableError) err = errors.temporarilyUnavailable(30, err.message);
  if (err instanceof CodedError) {
    const o = toOAuth(err)!;
    const headers: Record<string, string> = {};
    if (o.headers['Retry-After']) headers['Retry-After'] = o.headers['Retry-After'];
    return answer(o.status, err.message, o.error, headers);
  }
  return fromFastify(err as FastifyError);
}

/** Sends an error in the management shape; a server fault is a 500 that says nothing of internals. */
export function sendManagementError(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  const a = toManagement(err);
  if (!a || a.status >= 500) {
    if (!a) request.log.error({ err }, 'management API: unhandled error');
    else request.log.warn({ status: a.status, message: a.body.message }, 'management API: refused');
  } else {
    const detail = err instanceof Error && 'detail' in err ? (err as { detail?: string }).detail : undefined;
    request.log.info({ status: a.status, errorCode: a.body.errorCode, detail }, 'management API: refused');
  }
  const { status, body, headers } = a ?? answer(500, 'Internal Server Error', 'server_error');
  if ((status === 429 || status === 503) && !headers['Retry-After']) headers['Retry-After'] = '30';
  return reply.code(status).headers(headers).send(body);
}

/**
 * Installs the management shape on the plugin's context: every error of a
 * management route, and every unknown path under the prefix, answers
 * `{statusCode, error, message, errorCode}`.
 */
export function installManagementWire(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => sendManagementError(err, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendManagementError(managementErrors.notFound(), request, reply),
  );
}
