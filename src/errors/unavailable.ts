/**
 * A backend a request needs (the database, Redis) cannot answer now: it is
 * down, unreachable, frozen past a timeout, or restarting. The request is
 * refused with a 503 and Retry-After, never a 500 or a hang; the process
 * keeps running and serves again as soon as the backend is back.
 */
export class UnavailableError extends Error {
  override name = 'UnavailableError';
  /** A stable code, as jose's `ERR_JWT_EXPIRED`. */
  readonly code = 'ERR_UNAVAILABLE';
  constructor(
    readonly backend: 'database' | 'redis' | 'primary',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${backend} unavailable: ${message}`, options);
  }
}
