import type { FastifyError, FastifyInstance } from 'fastify';
import { DEFAULTS } from '../config/config.js';
import { OAuthError, errors } from '../oauth/errors.js';
import { UnavailableError } from '../store/unavailable.js';

/** Fastify's own request errors, answered as OAuth errors that say what to fix. */
function fromFastify(err: FastifyError): OAuthError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new OAuthError(413, 'invalid_request', 'The request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new OAuthError(
        415,
        'invalid_request',
        'Unsupported Content-Type: send application/x-www-form-urlencoded or application/json',
      );
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return errors.invalidRequest('The Content-Length header does not match the body');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errors.invalidRequest('The JSON body is empty');
  }
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return errors.invalidRequest('The request body is not valid JSON');
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return new OAuthError(err.statusCode, 'invalid_request', 'The request could not be read');
  }
  return undefined;
}

/**
 * The only place errors become responses. OAuth errors answer as they are;
 * anything else is a 500 whose body says nothing about internals.
 */
export function installErrorHandler(
  app: FastifyInstance,
  opts: { retryAfterSeconds: number } = { retryAfterSeconds: DEFAULTS.retryAfterSeconds },
): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if ((err as unknown) instanceof UnavailableError) {
      // An outage is not a bug: one line per request, no stack (the backend's own errors are logged, throttled, where they happen).
      const u = err as unknown as UnavailableError;
      request.log.warn({ backend: u.backend, reason: u.message }, 'refused: a backend is unavailable');
      const e = errors.temporarilyUnavailable(opts.retryAfterSeconds, u.message);
      return reply.code(e.status).headers(e.headers).send(e.body());
    }
    const oauth = err instanceof OAuthError ? err : fromFastify(err);
    if (oauth) {
      if (oauth.status >= 500) request.log.error({ err, detail: oauth.detail }, oauth.description);
      else if (oauth.detail)
        request.log.info({ error: oauth.error, detail: oauth.detail }, 'request refused');
      return reply.code(oauth.status).headers(oauth.headers).send(oauth.body());
    }
    request.log.error({ err }, 'unhandled error');
    const e = errors.serverError();
    return reply.code(500).send(e.body());
  });
  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).send({ error: 'not_found', error_description: 'Not found' });
  });
}
