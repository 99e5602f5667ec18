import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULTS } from '../config/config.js';
import { errors } from '../errors/index.js';
import { OAuthError, toOAuth } from '../oauth/wire.js';
import { UnavailableError } from '../errors/index.js';

/** Fastify's own request errors, answered as OAuth errors that say what to fix (never echoing the URL). */
function fromFastify(err: FastifyError): OAuthError | undefined {
  switch (err.code) {
    case 'FST_ERR_BAD_URL':
      return toOAuth(errors.invalidRequest('The request URL is not valid'));
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new OAuthError(414, 'invalid_request', 'A path parameter is too long');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new OAuthError(413, 'invalid_request', 'The request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new OAuthError(
        415,
        'invalid_request',
        'Unsupported Content-Type: send application/x-www-form-urlencoded or application/json',
      );
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return toOAuth(errors.invalidRequest('The Content-Length header does not match the body'));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return toOAuth(errors.invalidRequest('The JSON body is empty'));
  }
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return toOAuth(errors.invalidRequest('The request body is not valid JSON'));
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return new OAuthError(err.statusCode, 'invalid_request', 'The request could not be read');
  }
  return undefined;
}

/**
 * A server fault, worth an error with its stack; anything else was the
 * client's mistake (501: a grant it asked for) or a refusal by load (503
 * `temporarily_unavailable`: admission control's excess, a client gone; a
 * backend's own fault is logged where it happens). Under overload a refusal
 * must cost next to nothing: a stack serialized per refusal made it cost
 * about a quarter more CPU.
 */
const serverFault = (e: OAuthError) =>
  e.status >= 500 && e.status !== 501 && e.error !== 'temporarily_unavailable';

/**
 * The only place errors become responses. OAuth errors answer as they are;
 * anything else is a 500 whose body says nothing about internals. Client
 * mistakes are logged at info, without a stack.
 */
export function answerError(
  err: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
  retryAfterSeconds: number = DEFAULTS.retryAfterSeconds,
) {
  if ((err as unknown) instanceof UnavailableError) {
    // An outage is not a bug: one line per request, no stack (the backend's own errors are logged, throttled, where they happen).
    const u = err as unknown as UnavailableError;
    request.log.warn({ backend: u.backend, reason: u.message }, 'refused: a backend is unavailable');
    const e = toOAuth(errors.temporarilyUnavailable(retryAfterSeconds, u.message))!;
    return reply.code(e.status).headers(e.headers).send(e.body());
  }
  const oauth = toOAuth(err) ?? fromFastify(err);
  if (oauth) {
    if (serverFault(oauth)) request.log.error({ err, detail: oauth.detail }, oauth.description);
    else
      request.log.info(
        { status: oauth.status, error: oauth.error, code: err.code, detail: oauth.detail },
        'request refused',
      );
    reply.code(oauth.status).headers(oauth.headers);
    // Every 429 and 503 says when to come back (spec section 0); the catalogue's errors say it best.
    if ((oauth.status === 429 || oauth.status === 503) && !reply.hasHeader('Retry-After'))
      reply.header('Retry-After', String(retryAfterSeconds));
    return reply.send(oauth.body());
  }
  request.log.error({ err }, 'unhandled error');
  return reply.code(500).send(toOAuth(errors.serverError())!.body());
}

export function installErrorHandler(
  app: FastifyInstance,
  opts: { retryAfterSeconds: number } = { retryAfterSeconds: DEFAULTS.retryAfterSeconds },
): void {
  app.setErrorHandler((err: FastifyError, request, reply) =>
    answerError(err, request, reply, opts.retryAfterSeconds),
  );
  app.setNotFoundHandler((_request, reply) => {
    const e = toOAuth(errors.notFound())!;
    reply.code(e.status).send(e.body());
  });
}
