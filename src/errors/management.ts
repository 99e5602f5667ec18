import { TesseraError, type TesseraErrorOptions } from './tessera-error.js';

/**
 * The Management API's own refusals (spec section 11). No wire format here:
 * `management/wire.ts` gives each code its status, `error` and `errorCode`.
 */
export type ManagementErrorCode =
  | 'ERR_MGMT_UNAUTHORIZED'
  | 'ERR_MGMT_INSUFFICIENT_SCOPE'
  | 'ERR_MGMT_INVALID_BODY'
  | 'ERR_MGMT_INVALID_QUERY'
  | 'ERR_MGMT_INVALID_URI'
  | 'ERR_MGMT_NOT_FOUND'
  | 'ERR_MGMT_USER_NOT_FOUND'
  | 'ERR_MGMT_USER_EXISTS'
  | 'ERR_MGMT_CONFLICT'
  | 'ERR_MGMT_TOO_MANY_REQUESTS';

/** A Management API error: a code of `ManagementErrorCode`. */
export class ManagementError extends TesseraError<ManagementErrorCode> {
  override name = 'ManagementError';
}

const m = (code: ManagementErrorCode, message: string, options?: TesseraErrorOptions) =>
  new ManagementError(code, message, options);

/** The Management API's errors, by meaning (Auth0's texts where Auth0 has one). */
export const managementErrors = {
  /** No token, or one that is not a valid Management API token; `errorCode` says which. */
  unauthorized: (message: string, errorCode: string, detail?: string) =>
    m('ERR_MGMT_UNAUTHORIZED', message, { params: { errorCode }, detail }),
  /** The token lacks every scope the endpoint accepts. */
  insufficientScope: (expected: readonly string[]) =>
    m('ERR_MGMT_INSUFFICIENT_SCOPE', `Insufficient scope, expected any of: ${expected.join(',')}`, {
      params: { expected },
    }),
  /** A body that fails its schema or a rule of the domain. */
  invalidBody: (message: string) => m('ERR_MGMT_INVALID_BODY', message),
  /** A query string that fails its schema (paging limits included). */
  invalidQuery: (message: string) => m('ERR_MGMT_INVALID_QUERY', message),
  /** A path parameter that fails its schema. */
  invalidUri: (message: string) => m('ERR_MGMT_INVALID_URI', message),
  /** No such endpoint, or no such object (other than a user). */
  notFound: (message = 'Not Found', errorCode = 'not_found') =>
    m('ERR_MGMT_NOT_FOUND', message, { params: { errorCode } }),
  userNotFound: () => m('ERR_MGMT_USER_NOT_FOUND', 'The user does not exist.'),
  /** `detail` (which identifier clashes) goes to the logs and the audit log only. */
  userExists: (detail?: string) => m('ERR_MGMT_USER_EXISTS', 'The user already exists.', { detail }),
  conflict: (message: string) => m('ERR_MGMT_CONFLICT', message),
  /** The calling client spent its rate limit; the bucket has room again in `retryAfterS`. */
  tooManyRequests: (retryAfterS: number) =>
    m('ERR_MGMT_TOO_MANY_REQUESTS', 'Global limit has been reached', { params: { retryAfterS } }),
} as const;
